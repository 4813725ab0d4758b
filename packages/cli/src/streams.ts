import type { Observable, Subscription } from 'rxjs';

/**
 * Follow the event stream of a long-lived runner (`Trainer`) whose `run()`
 * promise rejects with the same error its stream ends in. The error is the promise's to
 * report: a subscriber without an error callback makes RxJS rethrow it from a timer, where
 * nothing can catch it (an uncaught exception: exit 7 and the wasm glue on stderr).
 */
export function follow<E>(events$: Observable<E>, next: (e: E) => void): Subscription {
  return events$.subscribe({ next, error: () => undefined });
}

/** Resolves on the first of the signals (default SIGINT, SIGTERM); removes its listeners. */
export function untilSignal(...signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  const list: NodeJS.Signals[] = signals.length ? signals : ['SIGINT', 'SIGTERM'];
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      for (const x of list) process.off(x, on);
      resolve(s);
    };
    for (const s of list) process.once(s, on);
  });
}

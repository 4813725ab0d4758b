import type { Observable, Subscription } from 'rxjs';
import type { StageCheckpoint } from '@fbnet/core';

/**
 * Helpers for checking a stage's cancellation: subscribe to its stream and unsubscribe (cancel
 * it) at the first event `stop` accepts. Rejects when the stream errors or ends first.
 */
export function cancelStageWhen<E extends { type: string }>(events$: Observable<E>, stop: (e: E & Record<string, unknown>) => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sub: Subscription = events$.subscribe({
      next: (e) => {
        if (stop(e as E & Record<string, unknown>)) {
          sub.unsubscribe();
          resolve();
        }
      },
      error: reject,
      complete: () => reject(new Error('the stage completed before the cancellation point')),
    });
  });
}

/** Where two checkpoints differ (`meta`, or a tensor's name); empty when they hold the same bits. */
export function checkpointDifferences(a: StageCheckpoint, b: StageCheckpoint): string[] {
  const out: string[] = [];
  if (JSON.stringify(a.meta) !== JSON.stringify(b.meta)) out.push('meta');
  for (const k of new Set([...Object.keys(a.tensors), ...Object.keys(b.tensors)])) {
    const x = a.tensors[k];
    const y = b.tensors[k];
    const same = x && y && x.shape.join() === y.shape.join() && x.data.length === y.data.length && x.data.every((v, i) => Object.is(v, y.data[i]));
    if (!same) out.push(k);
  }
  return out;
}

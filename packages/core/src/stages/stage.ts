import { Observable, type Subscription } from 'rxjs';
import { FbnetError } from '../errors.ts';
import type { EventBase } from '../events/events.ts';

/**
 * The stage contract (docs/stages.md).
 *
 * A stage is a function `(input, context) => Observable<StageEvent<R>>`. The stream is cold:
 * subscribing starts the work; unsubscribing cancels it — the work stops within one step and
 * leaves a checkpoint in `context.run` that the same stage resumes from. Every stream ends with
 * one `stage/result` event carrying the typed result, then completes; a failure is the
 * stream's error. `runStage` turns a stream into a promise of its result.
 *
 * Stages are written with `defineStage`, which supplies the stream, the cancellation signal
 * and the `stage/started` / `stage/result` events, so no package writes its own skeleton.
 */

/** What a stage consumes and produces, by name (docs/pipelines.md has the table). */
export const ARTIFACT_KINDS = [
  'space',
  'latency-table',
  'arch',
  'candidates',
  'predictor',
  'recipe',
  'weights',
  'model',
  'report',
] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** A checkpoint: JSON metadata plus named float tensors (what `@fbnet/runs` stores atomically). */
export interface StageCheckpoint<M = unknown> {
  meta: M;
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
}

/** What a stage may use of a run directory (`RunDir` of `@fbnet/runs` is one). */
export interface StageRun {
  readonly path: string;
  file(name: string): string;
  readJson<T>(name: string): T | undefined;
  writeJson(name: string, value: unknown): string;
  appendEvent(e: EventBase): void;
  saveCheckpoint<M>(name: string, ckpt: StageCheckpoint<M>): void;
  loadCheckpoint<M>(name: string): StageCheckpoint<M> | undefined;
}

/**
 * What every stage runs in: the seed, the active backend, the data set, the run directory.
 * `D` is the data set's type (`StageData` of `@fbnet/data`); `P` the backend plugin's.
 */
export interface StageContext<D = unknown, P = unknown> {
  seed: number;
  /** Id of the active TF.js backend (`wasm`, `cpu`, …); the plugin and its kernel plan when known. */
  backend: { id: string; plugin?: P; plan?: unknown };
  data?: D;
  /** Where the stage checkpoints and writes its files; without one it keeps nothing. */
  run?: StageRun;
  /** Checkpoint and file names inside the run are prefixed with this (several stages of a kind in one run). */
  prefix?: string;
}

/** Events common to every stage stream (besides each package's own). */
export type StageStartedEvent = { type: 'stage/started'; stage: string; config?: Record<string, unknown> };
export type StageResultEvent<R> = { type: 'stage/result'; stage: string; result: R };
export type StageProgressEvent = { type: 'stage/progress'; stage: string; phase: string; done: number; total: number; etaSec?: number; note?: string };
export type StageLogEvent = { type: 'stage/log'; stage: string; level: 'info' | 'warn'; message: string };
/** One event of a stage's stream: the stage's own events (`E`), the common ones, and last the result. */
export type StageEvent<R = unknown, E extends EventBase = EventBase> = E | StageStartedEvent | StageProgressEvent | StageLogEvent | StageResultEvent<R>;

/** A stage: typed input and a context in, a cold stream of events out; the last event carries the result. */
export type StageFn<I, R, E extends EventBase = EventBase, D = unknown> = ((input: I, context: StageContext<D>) => Observable<StageEvent<R, E>>) & {
  readonly stageName: string;
};

/** What a stage's body is given besides its input and context. */
export interface StageIo<E extends EventBase = EventBase> {
  /** Aborted when the subscriber unsubscribes: stop within one step, checkpoint, and return. */
  readonly signal: AbortSignal;
  emit(e: E | StageProgressEvent | StageLogEvent): void;
  /** `stage/progress` for a phase, with an ETA from the rate since the first call. */
  progress(phase: string, done: number, total: number, note?: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** Bodies still running after their subscriber left (cancelled, finishing their step and checkpoint). */
const settling = new Set<Promise<unknown>>();

/** Resolves when every cancelled stage body has stopped (its checkpoint written). */
export async function stagesSettled(): Promise<void> {
  while (settling.size) await Promise.allSettled([...settling]);
}

/**
 * Make a stage from its body. The body runs on subscribe; it returns the result (or anything,
 * ignored, once `io.signal` is aborted). Events it emits after the subscriber left are dropped.
 */
export function defineStage<I, R, E extends EventBase = EventBase, D = unknown>(
  name: string,
  body: (input: I, context: StageContext<D>, io: StageIo<E>) => Promise<R>,
): StageFn<I, R, E, D> {
  const fn = (input: I, context: StageContext<D>) =>
    new Observable<StageEvent<R, E>>((sub) => {
      const ac = new AbortController();
      let open = true;
      const first = new Map<string, { t: number; done: number }>();
      const emit = (e: StageEvent<R, E>) => {
        if (open && !ac.signal.aborted) sub.next(e);
      };
      const io: StageIo<E> = {
        signal: ac.signal,
        emit: (e) => emit(e as StageEvent<R, E>),
        progress: (phase, done, total, note) => {
          const f = first.get(phase) ?? (first.set(phase, { t: Date.now(), done }), first.get(phase)!);
          const rate = (done - f.done) / Math.max((Date.now() - f.t) / 1000, 1e-3);
          const etaSec = rate > 0 && done > f.done ? (total - done) / rate : undefined;
          emit({ type: 'stage/progress', stage: name, phase, done, total, ...(etaSec !== undefined ? { etaSec } : {}), ...(note ? { note } : {}) });
        },
        info: (message) => emit({ type: 'stage/log', stage: name, level: 'info', message }),
        warn: (message) => emit({ type: 'stage/log', stage: name, level: 'warn', message }),
      };
      emit({ type: 'stage/started', stage: name });
      const work = Promise.resolve()
        .then(() => body(input, context, io))
        .then(
          (result) => {
            if (!open) return;
            if (ac.signal.aborted) return;
            open = false;
            sub.next({ type: 'stage/result', stage: name, result });
            sub.complete();
          },
          (err) => {
            if (!open || ac.signal.aborted) return;
            open = false;
            sub.error(err);
          },
        );
      return () => {
        if (!open) return;
        open = false;
        ac.abort();
        const p = work.finally(() => settling.delete(p));
        settling.add(p);
      };
    });
  return Object.assign(fn, { stageName: name });
}

export interface RunStageOptions<E> {
  /** Called with every event (progress, logs, the stage's own events, the result). */
  onEvent?: (e: E) => void;
  /** Aborting it unsubscribes (cancels the stage) and rejects with a CHECKPOINT error once the stage has stopped. */
  signal?: AbortSignal;
}

/** Run a stage's stream to its result. */
export function runStage<R, E extends EventBase>(events$: Observable<StageEvent<R, E>>, options: RunStageOptions<StageEvent<R, E>> = {}): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let got = false;
    let result: R | undefined;
    let sub: Subscription | undefined;
    const onAbort = () => {
      // Wait for what this unsubscribe cancelled (the stage and the stages it runs), not for every
      // cancelled stage: a pipeline's own body waits here for its running stage.
      const before = new Set(settling);
      sub?.unsubscribe();
      const mine = [...settling].filter((p) => !before.has(p));
      void Promise.allSettled(mine).then(() => reject(new FbnetError('CHECKPOINT', 'stage cancelled; its checkpoint is kept and the run resumes from it')));
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    sub = events$.subscribe({
      next: (e) => {
        options.onEvent?.(e);
        if (e.type === 'stage/result' && 'result' in e) {
          got = true;
          result = (e as StageResultEvent<R>).result;
        }
      },
      error: (err) => {
        options.signal?.removeEventListener('abort', onAbort);
        reject(err);
      },
      complete: () => {
        options.signal?.removeEventListener('abort', onAbort);
        if (got) resolve(result as R);
        else reject(new FbnetError('USAGE', 'stage stream completed without a stage/result event'));
      },
    });
  });
}

/** The result of a stream of stage events, or undefined (for `lastValueFrom(events$.pipe(...))`-style use). */
export function isStageResult<R>(e: EventBase): e is StageResultEvent<R> {
  return e.type === 'stage/result';
}

import { Subject, type Observable } from 'rxjs';
import { AccuracyPredictor, deserializePredictor } from '@fbnet/acc-predictor';
import { defineStage, FbnetError, runStage, type StageRun } from '@fbnet/core';
import type { EvaluationQueue } from '../candidate/job.ts';
import type { JointPoint, JointSpace } from '../space/joint-space.ts';
import { runCoarse, type CoarseResult, type CoarseSettings, type CoarseStageResult } from './coarse-search.ts';
import { jointCoarseSpace } from './coarse-space.ts';
import type { CoarseEvent } from './events.ts';

/** Options of the `CoarseSearch` wrapper: the coarse settings plus objects (queue, acceptance test, run). */
export interface CoarseSearchOptions extends Omit<CoarseSettings, 'queue'> {
  space: JointSpace;
  seed: number;
  queue: EvaluationQueue;
  /** Checkpoints go here; a run resumes where it stopped. */
  run?: StageRun;
  /** Candidates must pass this (e.g. resource constraints); QMC points that fail are skipped. */
  accept?: (p: JointPoint) => boolean;
}

type WrapperInput = CoarseSearchOptions;
const wrapped = defineStage<WrapperInput, CoarseStageResult, CoarseEvent>('autotrain', async (o, ctx, io) => {
  const { space, seed: _seed, run: _run, ...settings } = o;
  return (await runCoarse(jointCoarseSpace(space), settings, ctx, io)) as CoarseStageResult;
});

/**
 * The coarse stage as an object, for library callers (benchmarks) that hold a queue object and
 * an acceptance function and want `await run()` plus the fitted predictor in memory: a thin
 * wrapper that runs the same stage (`runCoarse`, as `coarseSearchStage` does) to its result.
 * `cancel()` aborts it (`run()` then resolves to null, the checkpoint kept).
 */
export class CoarseSearch {
  private readonly subject = new Subject<CoarseEvent>();
  readonly events$: Observable<CoarseEvent> = this.subject.asObservable();
  private readonly ac = new AbortController();
  private fitted?: AccuracyPredictor;

  constructor(private readonly o: CoarseSearchOptions) {}

  cancel(): void {
    this.ac.abort();
  }

  async run(): Promise<CoarseResult | null> {
    try {
      const r = await runStage(wrapped(this.o, { seed: this.o.seed, backend: { id: 'active' }, ...(this.o.run ? { run: this.o.run } : {}) }), {
        signal: this.ac.signal,
        onEvent: (e) => e.type !== 'stage/result' && this.subject.next(e as CoarseEvent),
      });
      this.subject.complete();
      const { acquisition, ...result } = r;
      this.fitted?.dispose();
      this.fitted = deserializePredictor(acquisition);
      return result;
    } catch (e) {
      if (this.ac.signal.aborted) {
        this.subject.complete();
        return null;
      }
      this.subject.error(e);
      throw e;
    }
  }

  /** The fitted predictor (after `run()` returned a result). */
  get predictor(): AccuracyPredictor {
    if (!this.fitted) throw new FbnetError('USAGE', 'CoarseSearch: run() has not finished');
    return this.fitted;
  }

  dispose(): void {
    this.fitted?.dispose();
    this.fitted = undefined;
  }
}


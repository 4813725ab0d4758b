import type { CoreEventMap, EventUnion } from '@fbnet/core';
import type { PredictorMetrics } from '@fbnet/acc-predictor';
import type { CandidateEventMap } from '../candidate/job.ts';
import type { EarlyStopDecision } from '../early-stop.ts';
import type { JointPoint } from '../space/joint-space.ts';

/** One trained candidate of the coarse stage. */
export interface CoarseSample {
  id: string;
  point: JointPoint;
  /** Validation accuracy at the early-stopping budget (the predictor's target). */
  accuracy: number;
  /** Accuracy after every epoch trained. */
  curve: number[];
  /** 0: the early-stopping set (trained fully); k ≥ 1: coarse iteration k. */
  iteration: number;
  /** What the predictor said before this candidate was trained (iterations ≥ 1). */
  predicted?: number;
  diverged: boolean;
  seconds: number;
  worker: string;
}

export type CoarseEventMap = CoreEventMap &
  CandidateEventMap & {
    'autotrain/started': { space: string; dimensions: number; iterations: number; perIteration: number; resumedAt: string | null };
    'predictor/proxy-pretrained': { samples: number; epochs: number; loss: number; kendallTau: number };
    /** A resumed run's predictor checkpoint did not fit this version's encoding: pretrained again and refitted on the stored samples. */
    'predictor/rebuilt': { reason: string; samples: number };
    'autotrain/candidate-evaluated': CoarseSample;
    'autotrain/early-stop-chosen': EarlyStopDecision & { candidates: number };
    /** The early-stopping set retrained with another seed: the rank correlation a perfect predictor could reach. */
    'autotrain/noise-ceiling-measured': { n: number; budget: number; kendallTau: number; meanAbsDiff: number };
    /** The predictor was refitted on every sample so far; `heldOut`: how it did on this iteration's candidates before seeing them. */
    'predictor/fitted': { iteration: number; samples: number; trainRmse: number; heldOut?: PredictorMetrics };
    'autotrain/iteration-ended': { iteration: number; trained: number; bestAccuracy: number; bestId: string };
    'autotrain/checkpoint-saved': { phase: string; iteration: number };
    'autotrain/completed': { budget: number; samples: number; bestAccuracy: number; predictor: PredictorMetrics };
  };
export type CoarseEvent = EventUnion<CoarseEventMap>;

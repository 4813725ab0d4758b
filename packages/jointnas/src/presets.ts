import type { PredictorFitOptions } from '@fbnet/acc-predictor';
import type { Constraints } from '@fbnet/evolutionary-search';

/** How much of each JointNAS phase to run. */
export interface SearchV3Preset {
  /** Joint space preset (`@fbnet/autotrain` JOINT_SPACE_PRESETS). */
  space: string;
  /** Images each candidate trains / validates on (class-balanced cut of the train split). */
  candidateData: { trainImages: number; valImages: number };
  proxy: { samples: number; epochs: number };
  fit: PredictorFitOptions;
  earlyStop: { candidates: number; threshold: number; minBudget?: number; maxBudget?: number };
  iterations: number;
  perIteration: number;
  poolSize: number;
  exploreFraction: number;
  evolution: { populationSize: number; childrenPerGeneration: number; maxGenerations: number; patience: number };
  /**
   * κ of the fine stage's pessimistic score, predicted mean − κ·(ensemble spread): proposals the
   * predictor's members disagree on (extrapolations) rank lower. 0: the mean alone.
   */
  risk: number;
  /** Fine-stage proposals trained (early-stopped) before the final choice; the best measured wins. */
  verify: number;
  /**
   * Confirmation (SMAC's intensification): the K best measured candidates, coarse or verified, are
   * trained again with another seed and the best mean of two is trained further (0 or 1: off, the
   * best single score). One early-stopped score is noisy — here ~3 points from seed to seed — so the
   * best of many single scores is partly the luckiest.
   */
  confirm?: number;
  /**
   * The horizon step: the `candidates` best confirmed candidates, and (unless `defaultRecipe` is false)
   * the chosen arch with the space's default recipe, trained for the final training's epochs on the
   * candidates' data; the best there is trained further. Off when absent. Worth it where the final
   * training is much longer than the candidates' schedule (`final.epochsScale` ≫ 1).
   */
  horizon?: { candidates: number; defaultRecipe?: boolean };
  /** Resource constraints of the search (eq. 1); `maxLatencyMs` needs a latency table. */
  constraints: Constraints;
  final: {
    /** Share of the training images held out for validation during the final training. */
    valFraction: number;
    maxTrainImages?: number;
    maxTestImages?: number;
    /** The found recipe's epochs (the space's fixed schedule, or a searched `recipe.epochs`) times this (1: the recipe as found). */
    epochsScale: number;
    /**
     * EMA decay of the final training when the found recipe turns EMA on. The space's decay suits
     * candidates' few hundred steps; a final run of tens of thousands of steps wants a longer horizon.
     * Default: the space's.
     */
    emaDecay?: number;
  };
  /** Timing of the exported net's latency measurement. */
  latencyTiming: { timeMs: number; minSamples: number };
}

export const SEARCH_V3_PRESETS: Record<string, SearchV3Preset> = {
  /** A real but small run on the bundled subset: about 10–15 minutes on 2 CPU cores. */
  quick: {
    space: 'fbnet-v3-fmnist',
    // 3,000/1,000 images: at 1,500/500 a candidate's early-stopped accuracy ranked against itself
    // under another seed with Kendall τ 0.21 — noise; at 3,000/1,000 τ 0.74 (96 candidates, 4 epochs).
    candidateData: { trainImages: 3000, valImages: 1000 },
    proxy: { samples: 2000, epochs: 60 },
    fit: { frozenEpochs: 50, fineTuneEpochs: 50 },
    // No cap: the rule tries budgets up to the full schedule (the space's 6 epochs).
    earlyStop: { candidates: 8, threshold: 0.92 },
    iterations: 3,
    perIteration: 8,
    poolSize: 400,
    exploreFraction: 0.25,
    evolution: { populationSize: 16, childrenPerGeneration: 48, maxGenerations: 40, patience: 6 },
    risk: 1,
    verify: 4,
    confirm: 4,
    constraints: { maxFlops: 1.0e6 },
    final: { valFraction: 0.1, epochsScale: 1 },
    latencyTiming: { timeMs: 1000, minSamples: 30 },
  },
  /** Seconds: every phase on a sliver of data with the tiny space (tests, smoke checks). */
  smoke: {
    space: 'fbnet-v3-tiny',
    candidateData: { trainImages: 100, valImages: 50 },
    proxy: { samples: 100, epochs: 10 },
    fit: { frozenEpochs: 10, fineTuneEpochs: 10 },
    earlyStop: { candidates: 4, threshold: 0.5 },
    iterations: 1,
    perIteration: 3,
    poolSize: 20,
    exploreFraction: 0.34,
    evolution: { populationSize: 6, childrenPerGeneration: 12, maxGenerations: 5, patience: 2 },
    risk: 1,
    verify: 2,
    confirm: 2,
    constraints: { maxFlops: 8_000 },
    final: { valFraction: 0.2, maxTrainImages: 200, maxTestImages: 100, epochsScale: 1 },
    latencyTiming: { timeMs: 20, minSamples: 3 },
  },
  /**
   * The full-data setting (`--data-dir` with the full Fashion-MNIST), sized for about 2–2.5 h on 2
   * CPU cores with `--workers 2`: < 100 K params and ≤ 3 M FLOPs (batch-1 wasm latency well under
   * 1 ms — V1's 2.9 M FLOP net runs in 0.36 ms), candidates on 12,000/3,000 images, 16 full
   * schedules for the early-stopping rule, 4 × 24 coarse candidates (a coarse iteration took
   * 13–22 min here), 8 verified proposals, 4 confirmations, a horizon step (the 3 best confirmed
   * and the default recipe for 42 epochs on the candidates' data: 15 min), and a final training of
   * 7× the space's 6-epoch schedule (42 epochs) on 57,000 images.
   */
  full: {
    space: 'fbnet-v3-fmnist',
    candidateData: { trainImages: 12_000, valImages: 3_000 },
    proxy: { samples: 10_000, epochs: 100 },
    fit: { frozenEpochs: 50, fineTuneEpochs: 50 },
    earlyStop: { candidates: 16, threshold: 0.92 },
    iterations: 4,
    perIteration: 24,
    poolSize: 2000,
    exploreFraction: 0.2,
    evolution: { populationSize: 32, childrenPerGeneration: 96, maxGenerations: 100, patience: 10 },
    risk: 1,
    verify: 8,
    confirm: 4,
    horizon: { candidates: 3 },
    constraints: { maxFlops: 3.0e6, maxParams: 100_000 },
    final: { valFraction: 0.05, epochsScale: 7, emaDecay: 0.999 },
    latencyTiming: { timeMs: 2000, minSamples: 50 },
  },
};

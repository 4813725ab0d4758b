import type { TrainRecipeInput } from '@fbnet/train';
import type { ResourceKind, ResourceLoss } from './search.ts';

/** How much of each phase of `fbnet search v2` to run. */
export interface SearchV2Preset {
  /** Search-space preset name (core's registry). */
  space: string;
  /** Resource term of the search loss: effective FLOPs/params (eq. 10) or E[LAT] from a table of the space. */
  resource: ResourceKind;
  loss: ResourceLoss;
  /** Timing of latency entries (the space's table for `resource: 'latency'`, else only the derived arch's). */
  lutTiming: { timeMs: number; warmupMs: number; minSamples: number; warmupSamples: number };
  supernet: {
    epochs: number;
    warmupEpochs: number;
    stepsPerEpoch?: number;
    batchSize: number;
    samples: number;
    tau0?: number;
    tauDecay?: number;
    thetaLr?: number;
    weightLr?: number;
  };
  final: TrainRecipeInput;
  /** Fraction of the training set held out for validation during final training. */
  valFraction: number;
  maxTrainImages?: number;
  maxTestImages?: number;
}

export const SEARCH_V2_PRESETS: Record<string, SearchV2Preset> = {
  /** A few minutes on a 2-core CPU with the bundled subset: FLOPs-aware search, short final training. */
  quick: {
    space: 'fbnet-v2-fmnist',
    resource: 'flops',
    // β = 0.3: a few hundred steps leave the supernet's CE signal weak, and β = 0.6 then lets the
    // FLOPs term pick skips and the smallest resolution almost everywhere (0.15 MFLOPs, 77.7%).
    loss: { kind: 'multiplicative', alpha: 0.2, beta: 0.3 },
    lutTiming: { timeMs: 100, warmupMs: 30, minSamples: 15, warmupSamples: 3 },
    supernet: { epochs: 6, warmupEpochs: 2, stepsPerEpoch: 12, batchSize: 32, samples: 4, tau0: 5, tauDecay: 0.3, thetaLr: 0.05 },
    final: { epochs: 5, batchSize: 64, lr: 0.1, weightDecay: 5e-5, labelSmoothing: 0.1, augment: { crop: 2, flip: true } },
    valFraction: 0.1,
  },
  /** Seconds: every phase on a sliver of the data (tests, smoke checks). */
  smoke: {
    space: 'fbnet-v2-fmnist',
    resource: 'flops',
    loss: { kind: 'multiplicative', alpha: 0.2, beta: 0.6 },
    lutTiming: { timeMs: 4, warmupMs: 2, minSamples: 3, warmupSamples: 1 },
    supernet: { epochs: 2, warmupEpochs: 1, stepsPerEpoch: 1, batchSize: 8, samples: 1, thetaLr: 0.05 },
    final: { epochs: 1, batchSize: 16, lr: 0.05, augment: { crop: 0, flip: false } },
    valFraction: 0.25,
    maxTrainImages: 80,
    maxTestImages: 20,
  },
  /**
   * The full setting (`--data-dir` to the full Fashion-MNIST): latency-aware on this device's
   * table of the whole space (~2000 entries, measured once and reused), hours, not minutes.
   */
  full: {
    space: 'fbnet-v2-fmnist',
    resource: 'latency',
    loss: { kind: 'multiplicative', alpha: 0.2, beta: 0.6 },
    lutTiming: { timeMs: 300, warmupMs: 80, minSamples: 20, warmupSamples: 5 },
    supernet: { epochs: 30, warmupEpochs: 6, stepsPerEpoch: 150, batchSize: 128, samples: 16, tau0: 5, tauDecay: 0.045, thetaLr: 0.01 },
    final: { epochs: 60, batchSize: 128, lr: 0.2, weightDecay: 5e-5, labelSmoothing: 0.1, ema: 0.999, warmupEpochs: 2, augment: { crop: 2, flip: true } },
    valFraction: 0.05,
  },
};

import type { TrainRecipeInput } from '@fbnet/train';

/** Search-v1 presets: how much of each phase to run. `--alpha`, `--beta`, `--supernet-epochs` and `--epochs` (final training) override them per run. */
export interface SearchV1Preset {
  space: string;
  lutTiming: { timeMs: number; warmupMs: number; minSamples: number; warmupSamples: number };
  supernet: {
    epochs: number;
    warmupEpochs: number;
    stepsPerEpoch?: number;
    batchSize: number;
    samples: number;
    alpha: number;
    beta: number;
    /** θ learning rate (Adam); FBNet's 0.01 suits long searches, short ones need larger steps. */
    thetaLr: number;
    /**
     * Gumbel-softmax temperature: τ0 at the first epoch, annealed geometrically to τ_end at the last
     * (FBNet: 5 → ≈0.09 over 90 epochs). Ending near 0.1 makes the last epochs train near-single
     * paths, so P_θ concentrates and the derived arch is the net the supernet's weights describe.
     */
    tau0: number;
    tauEnd: number;
  };
  final: TrainRecipeInput;
  /** Fraction of the training set held out for validation during final training. */
  valFraction: number;
  /** Use at most this many training images (class-balanced); default all. */
  maxTrainImages?: number;
  /** Use at most this many test images; default all. */
  maxTestImages?: number;
}

/*
 * Latency pressure. Eq. 2's latency factor α·(log LAT)^β changes the loss by a relative
 * β / log(LAT) per relative change of LAT. The paper's phone latencies (~25 ms) give
 * 0.6 / log 25 ≈ 0.19; the 28x28 nets here run in well under a millisecond, so LAT is taken in
 * microseconds (log ≈ 6.5) and β = 1.2 keeps the paper's relative pressure.
 */
export const SEARCH_V1_PRESETS: Record<string, SearchV1Preset> = {
  /** About ten minutes on a 2-core CPU with the bundled subset (the supernet sees ~4 of its epochs: enough for P_θ to follow accuracy, not only latency). */
  quick: {
    space: 'fbnet-v1-fmnist',
    lutTiming: { timeMs: 120, warmupMs: 40, minSamples: 15, warmupSamples: 3 },
    supernet: { epochs: 8, warmupEpochs: 2, stepsPerEpoch: 60, batchSize: 64, samples: 8, alpha: 0.2, beta: 1.2, thetaLr: 0.1, tau0: 5, tauEnd: 0.1 },
    final: { epochs: 8, batchSize: 64, lr: 0.1, weightDecay: 5e-5, labelSmoothing: 0.1, augment: { crop: 2, flip: true } },
    valFraction: 0.1,
  },
  /** Seconds, not minutes: exercises every phase on a sliver of the data (tests, smoke checks). */
  smoke: {
    space: 'fbnet-v1-fmnist',
    lutTiming: { timeMs: 4, warmupMs: 2, minSamples: 3, warmupSamples: 1 },
    supernet: { epochs: 2, warmupEpochs: 1, stepsPerEpoch: 2, batchSize: 16, samples: 2, alpha: 0.2, beta: 0.6, thetaLr: 0.01, tau0: 5, tauEnd: 0.1 },
    final: { epochs: 1, batchSize: 32, lr: 0.05, augment: { crop: 0, flip: false } },
    valFraction: 0.25,
    maxTrainImages: 160,
    maxTestImages: 64,
  },
  /** The full-data setting (`--data-dir` to the full Fashion-MNIST): hours, not minutes. */
  full: {
    space: 'fbnet-v1-fmnist',
    lutTiming: { timeMs: 400, warmupMs: 100, minSamples: 20, warmupSamples: 5 },
    supernet: { epochs: 12, warmupEpochs: 3, stepsPerEpoch: 60, batchSize: 64, samples: 16, alpha: 0.2, beta: 1.2, thetaLr: 0.03, tau0: 5, tauEnd: 0.1 },
    final: { epochs: 40, batchSize: 128, lr: 0.2, weightDecay: 5e-5, labelSmoothing: 0.1, ema: 0.999, warmupEpochs: 1, augment: { crop: 2, flip: true } },
    valFraction: 0.05,
  },
};

import { Registry } from '@fbnet/core';
import { parseJointSpace, type JointSpace, type JointSpaceInput } from './joint-space.ts';

const choice = (...values: (number | string | boolean)[]) => ({ kind: 'choice' as const, values });
const int = (min: number, max: number) => ({ kind: 'int' as const, min, max });
const float = (min: number, max: number, log?: boolean) => ({ kind: 'float' as const, min, max, ...(log ? { log } : {}) });

/**
 * The recipe dimensions FBNetV3 searches (§3.1), with ranges that suit a few CPU epochs. `epochs`
 * only in the legacy space: FBNetV3 fixes the schedule length, and candidates compared after b
 * epochs of schedules of different lengths favour the short ones.
 */
const recipe = (epochs?: [number, number]): JointSpaceInput['recipe'] => ({
  optimizer: choice('sgd', 'rmsprop', 'adam', 'adamw'),
  lr: float(0.01, 0.8, true),
  weightDecay: float(1e-6, 1e-3, true),
  mixup: float(0, 0.4),
  dropout: float(0, 0.3),
  dropPath: float(0, 0.2),
  ema: choice(false, true),
  ...(epochs ? { epochs: int(epochs[0], epochs[1]) } : {}),
});

/** The V1 default recipe in the searched dimensions (see `fmnistV3.defaultRecipe`). */
const DEFAULT_RECIPE = { optimizer: 'sgd', lr: 0.05, weightDecay: 5e-5, mixup: 0, dropout: 0, dropPath: 0, ema: true } as const;

/**
 * A V3-style per-stage space for 28x28x1 Fashion-MNIST, CPU-sized: resolution 20/24/28,
 * stride-2 stem, four inverted-residual stages (14 → 14 → 7 → 4 → 4 at 28), SE on the
 * last two, 1x1 head — about 10^9 architectures times the recipe ranges.
 */
const fmnistV3: JointSpaceInput = {
  version: 1,
  name: 'fbnet-v3-fmnist',
  description: 'FBNetV3 joint architecture + recipe space for 28x28x1 inputs (Fashion-MNIST), CPU-sized',
  input_channels: 1,
  num_classes: 10,
  act: 'hs',
  arch: {
    resolution: choice(20, 24, 28),
    stem: { channels: choice(8, 12, 16), kernel: 3, stride: 2 },
    stages: [
      { stride: 1, channels: choice(8, 12, 16), depth: int(1, 2), kernel: choice(3, 5), expansion: choice(1, 2, 3) },
      { stride: 2, channels: choice(16, 24, 32), depth: int(1, 3), kernel: choice(3, 5), expansion: choice(2, 3, 4, 6) },
      { stride: 2, channels: choice(24, 32, 48), depth: int(1, 3), kernel: choice(3, 5), expansion: choice(2, 3, 4, 6), se: choice(false, true) },
      { stride: 1, channels: choice(32, 48, 64), depth: int(1, 2), kernel: choice(3, 5), expansion: choice(2, 3, 4, 6), se: choice(false, true) },
    ],
    head: { channels: choice(64, 96, 128) },
  },
  recipe: recipe(),
  // Small batches: early-stopped candidates get enough optimizer steps from few images.
  // One schedule length for every candidate (FBNetV3's recipe space has no epochs dimension): the
  // early-stopping rule ranks b-epoch accuracies against this schedule's, and a final training
  // runs a multiple of it (the search preset's `final.epochsScale`).
  fixedRecipe: { epochs: 6, batchSize: 32, momentum: 0.9, labelSmoothing: 0.1, warmupEpochs: 0, augment: { crop: 2, flip: true } },
  // A short horizon: at a few hundred steps a 0.99 average would still be mostly the initial weights.
  emaDecay: 0.95,
  // V1's hand-set recipe (`fbnet train`'s default: SGD lr 0.2 at batch 128, EMA, no mixup, dropout or
  // drop path) at this space's batch of 32: lr 0.2 × 32/128 (linear scaling).
  defaultRecipe: DEFAULT_RECIPE,
};

/**
 * The space before the schedule length was fixed: `fbnet-v3-fmnist` plus a searched
 * `recipe.epochs` of 4–10. Kept to reproduce the figures measured with it (benchmarks/results
 * files dated up to 2026-12-05 10:30 name it `fbnet-v3-fmnist`).
 */
const fmnistV3Epochs: JointSpaceInput = {
  ...fmnistV3,
  name: 'fbnet-v3-fmnist-epochs',
  description: 'fbnet-v3-fmnist with a searched recipe.epochs (4-10): the legacy space of the earlier V3 figures',
  recipe: recipe([4, 10]),
  defaultRecipe: { ...DEFAULT_RECIPE, epochs: 6 },
  fixedRecipe: { batchSize: 32, momentum: 0.9, labelSmoothing: 0.1, warmupEpochs: 0, augment: { crop: 2, flip: true } },
};

/** A few-hundred-FLOP space for tests: 8/12 px inputs, one stage. Trains in milliseconds. */
const tiny: JointSpaceInput = {
  version: 1,
  name: 'fbnet-v3-tiny',
  description: 'Tiny joint space for tests (8/12 px inputs, one stage)',
  input_channels: 1,
  num_classes: 10,
  act: 'hs',
  arch: {
    resolution: choice(8, 12),
    stem: { channels: choice(4, 8), kernel: 3, stride: 2 },
    stages: [{ stride: 2, channels: choice(8, 12), depth: int(1, 2), kernel: choice(3, 5), expansion: choice(1, 2) }],
    head: { channels: choice(16, 24) },
  },
  recipe: { ...recipe([2, 3]), optimizer: choice('sgd', 'adam') },
  fixedRecipe: { batchSize: 32, momentum: 0.9, labelSmoothing: 0, augment: { crop: 0, flip: false } },
  emaDecay: 0.9,
};

export const JOINT_SPACE_PRESETS = new Registry<JointSpace>('joint search space preset');
JOINT_SPACE_PRESETS.register('fbnet-v3-fmnist', parseJointSpace(fmnistV3));
JOINT_SPACE_PRESETS.register('fbnet-v3-fmnist-epochs', parseJointSpace(fmnistV3Epochs));
JOINT_SPACE_PRESETS.register('fbnet-v3-tiny', parseJointSpace(tiny));

export function getJointSpacePreset(name: string): JointSpace {
  return structuredClone(JOINT_SPACE_PRESETS.get(name));
}

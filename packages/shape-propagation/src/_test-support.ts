import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { parseSearchSpace, type SearchSpace } from '@fbnet/core';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Weights as tensors, keyed like the number form. */
export function toTensors(w: Record<string, ArrayLike<number>>): Record<string, tf.Tensor1D> {
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, tf.tensor1d(Array.from(v))]));
}

export function disposeAll(w: Record<string, tf.Tensor>): void {
  Object.values(w).forEach((t) => t.dispose());
}

/**
 * A small DMasking-style space (CPU-sized): channel, expansion and resolution choices on top of
 * V1-style candidate mixtures, with SE (less_se_channels), grouped pw/pwl + shuffle, skips that are
 * an identity for some channel choices only, fixed blocks after searched widths and an ir_pool.
 */
export function v2TestSpace(): SearchSpace {
  return parseSearchSpace({
    version: 1,
    name: 'v2-test',
    input_size: 32,
    input_channels: 3,
    num_classes: 10,
    basic_args: { width_divisor: 8 },
    candidates: {
      k3: { op: 'ir_k3_hs', kwargs: { expansion: 3 } },
      k5se: { op: 'ir_k5_sehsig_hs', kwargs: { expansion: 3, less_se_channels: true } },
      g2: { op: 'ir_k3_g2', kwargs: { expansion: 1, pwl_groups: 2 } },
      skip: { op: 'skip' },
    },
    stages: [
      [{ fixed: ['conv_k3_hs', 16, 2, 1] }],
      [{ searchable: { c: 24, s: 1, n: 2, candidates: ['k3', 'k5se', 'skip'], channels: [8, 16, 24], expansions: [1, 2, 4] } }],
      [{ searchable: { c: 32, s: 2, n: 2, candidates: ['k3', 'k5se', 'g2', 'skip'], channels: [16, 32] } }],
      [{ fixed: ['ir_k3', 40, 1, 2, { expansion: 2 }] }],
      [{ fixed: ['ir_pool_hs', 64, 1, 1, { expansion: 4 }] }],
    ],
    resolutions: [24, 28, 32],
  });
}

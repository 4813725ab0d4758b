import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './params.ts';

/**
 * Score one path of a weight-sharing supernet with BN statistics of its own: the supernet's
 * running statistics were accumulated under soft mixtures or masks, which a single path never
 * sees. Runs `passes` training-mode forward passes with BN momentum 1/(k+1) on the k-th, so the
 * running statistics become the plain average of the passes' batch statistics (every pass counts
 * equally, as one-shot NAS re-estimates them), calls `use`, then restores the supernet's statistics.
 */
export async function withPathBnStats<T>(store: ParamStore, passes: number, forward: (pass: number, bnMomentum: number) => void, use: () => Promise<T>): Promise<T> {
  const stats = store.entries().filter(([k]) => /\.bn\.(mean|var)$/.test(k));
  const backup = stats.map(([, v]) => tf.clone(v));
  try {
    for (let i = 0; i < passes; i++) forward(i, 1 / (i + 1));
    return await use();
  } finally {
    stats.forEach(([, v], i) => {
      v.assign(backup[i]);
      backup[i].dispose();
    });
  }
}

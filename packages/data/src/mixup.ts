import { FbnetError, type Rng } from '@fbnet/core';
import { sampleBeta } from './beta.ts';

export interface MixupResult {
  /** λ·x + (1 − λ)·x[perm] */
  x: Float32Array;
  /** The original labels (weight λ). */
  yA: Int32Array;
  /** The partners' labels, y[perm] (weight 1 − λ). */
  yB: Int32Array;
  lambda: number;
  /** perm[i] is the sample mixed into sample i. */
  perm: Int32Array;
}

/**
 * mixup (Zhang et al. 2018): one λ ~ Beta(α, α) per batch, each sample mixed with a partner
 * from a random permutation of the batch; the loss is λ·CE(yA) + (1 − λ)·CE(yB).
 * The stream draws λ first, then the permutation. Works on any per-sample layout (`x` is
 * split into `y.length` equal rows).
 */
export function mixup(x: Float32Array, y: Int32Array, options: { alpha: number; rng: Rng }): MixupResult {
  const { alpha, rng } = options;
  if (!(alpha > 0 && Number.isFinite(alpha))) throw new FbnetError('USAGE', `mixup: alpha must be positive, got ${alpha}`);
  const n = y.length;
  if (n === 0 || x.length % n !== 0) throw new FbnetError('USAGE', `mixup: x has ${x.length} value(s), not a whole number of rows for ${n} label(s)`);
  const row = x.length / n;
  const lambda = sampleBeta(rng, alpha, alpha);
  const perm = rng.permutation(n);
  const out = new Float32Array(x.length);
  const yB = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = perm[i];
    yB[i] = y[j];
    for (let k = 0; k < row; k++) out[i * row + k] = lambda * x[i * row + k] + (1 - lambda) * x[j * row + k];
  }
  return { x: out, yA: Int32Array.from(y), yB, lambda, perm };
}

import * as tf from '@tensorflow/tfjs-core';
import { contractTable, jointConfigs, jointWeights } from '@fbnet/latency-lut';

// Joint-option helpers live with the latency model (`@fbnet/latency-lut`), which contracts the same tables.
export { contractTable, jointConfigs, jointWeights };

/**
 * Channel masks of DMaskingNAS (FBNetV2 eq. 2-3): l_i ∈ R^k is c_i ones then k - c_i zeros,
 * and one block of width k is run once and multiplied by M = Σ_i g_i l_i.
 *
 * A mask may depend on several choices at once (the expanded width round(C_in · e) depends on
 * the previous layer's width choice and this layer's expansion choice; a residual exists only
 * where C_in = C_out). Such a mask is a table over the joint options: M = Σ_{i,j,…} g_i h_j … l_{T[i,j,…]},
 * the padded weighted sum over every joint option with the product of their (independent)
 * Gumbel weights — one [1, D] x [D, k] matmul.
 */
export interface MaskTable {
  /** Choice keys the mask depends on, outermost first (row-major table). */
  keys: string[];
  dims: number[];
  /** Per joint option: how many leading channels are on (0 = the whole term is absent). */
  widths: number[];
  /** Mask length (the block's largest width). */
  k: number;
}

/** l_c ∈ R^k as plain numbers. */
export function prefixOnes(c: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => (i < c ? 1 : 0));
}

/** The [D, k] matrix whose row d is l_{widths[d]}. */
export function prefixMatrix(widths: readonly number[], k: number): Float32Array {
  const m = new Float32Array(widths.length * k);
  widths.forEach((c, d) => m.fill(1, d * k, d * k + Math.min(c, k)));
  return m;
}

/** True when a table is the same full-width mask for every joint option (no mask needed). */
export function isAllOnes(t: MaskTable): boolean {
  return t.widths.every((c) => c >= t.k);
}

/** M = Σ_d w_d l_{widths[d]} with w the joint weights of `t.keys` (eq. 3 over joint options). */
export function tableMask(t: MaskTable, weights: (key: string) => tf.Tensor1D, prefixCache?: Map<string, tf.Tensor2D>): tf.Tensor1D {
  return tf.tidy(() => {
    const joint = jointWeights(t.keys.map(weights));
    // The [D, k] 0/1 matrix is a constant of the table: uploaded once when a cache is given.
    const id = `${t.k}:${t.widths.join(',')}`;
    let m = prefixCache?.get(id);
    if (!m) {
      m = tf.tensor2d(prefixMatrix(t.widths, t.k), [t.widths.length, t.k]);
      if (prefixCache) prefixCache.set(id, tf.keep(m));
    }
    return tf.reshape(tf.matMul(tf.reshape(joint, [1, -1]), m), [t.k]) as tf.Tensor1D;
  });
}

/** M = Σ_i g_i l_{c_i} for one choice (eq. 3). */
export function channelMask(g: tf.Tensor1D, widths: readonly number[], k: number): tf.Tensor1D {
  return tableMask({ keys: ['g'], dims: [widths.length], widths: [...widths], k }, () => g);
}

import * as tf from '@tensorflow/tfjs-core';

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

/** Outer product of weight vectors, flattened row-major (the joint weights of independent choices). */
export function jointWeights(ws: readonly tf.Tensor1D[]): tf.Tensor1D {
  if (!ws.length) return tf.ones([1]) as tf.Tensor1D;
  return tf.tidy(() => {
    // One choice: its own weights (no kernels); several: outer products, row-major.
    let acc = ws[0];
    for (const w of ws.slice(1)) acc = tf.reshape(tf.mul(tf.reshape(acc, [-1, 1]), tf.reshape(w, [1, -1])), [-1]) as tf.Tensor1D;
    return acc === ws[0] ? (tf.clone(acc) as tf.Tensor1D) : acc;
  });
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

/** Joint configurations of some choices, row-major (the last dimension varies fastest). */
export function jointConfigs(dims: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of dims) out = out.flatMap((c) => Array.from({ length: d }, (_, i) => [...c, i]));
  return out;
}

/**
 * Σ_{joint d} Π_k w_k[d_k] · table[d] as a differentiable scalar: the expectation of a
 * per-joint-option value under independent categorical weights (eq. 9's expected latency
 * with inputs that depend on the previous layer's choice).
 */
export function contractTable(ws: readonly tf.Tensor1D[], table: readonly number[]): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(jointWeights(ws), tf.tensor1d(table as number[]))) as tf.Scalar);
}

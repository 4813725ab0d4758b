import * as tf from '@tensorflow/tfjs-core';
import { FbnetError } from '@fbnet/core';
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

/**
 * Every mask of a set of tables in one differentiable op: M_t = Σ_d w_d l_{widths[d]} for each
 * table t (the same function as `tableMask`), with the joint weights, the prefix sums and the
 * hand-derived gradient computed on the host. A supernet step then spends four kernels on all its
 * masks (concat, the op, split and their gradients) instead of about seven per table plus their
 * gradients — on the cpu and wasm backends, where those tiny kernels cost more than their
 * arithmetic and reading the weights is a copy, not a device sync. Returns one mask per table, in order.
 */
export function tableMasks(tables: readonly MaskTable[], weights: (key: string) => tf.Tensor1D): tf.Tensor1D[] {
  return maskBank(tables, (key) => weights(key).size)(weights);
}

/**
 * `tableMasks` with the tables' bookkeeping (joint-option indices, checks) done once: a function
 * of the weights that a supernet calls every step. `sizeOf(key)` is a choice's number of options.
 */
export function maskBank(tables: readonly MaskTable[], sizeOf: (key: string) => number): (weights: (key: string) => tf.Tensor1D) => tf.Tensor1D[] {
  if (!tables.length) return () => [];
  const keys = [...new Set(tables.flatMap((t) => t.keys))];
  const sizes = keys.map(sizeOf);
  const offsets = new Map<string, number>();
  let total = 0;
  keys.forEach((k, i) => (offsets.set(k, total), (total += sizes[i])));
  const plans = tables.map((t) => {
    if (new Set(t.keys).size !== t.keys.length) throw new FbnetError('USAGE', `mask table over [${t.keys.join(', ')}] repeats a choice key`);
    t.keys.forEach((k, i) => {
      const n = sizes[keys.indexOf(k)];
      if (n !== t.dims[i]) throw new FbnetError('USAGE', `mask table: choice "${k}" has ${n} weights, the table ${t.dims[i]} options`);
    });
    const size = t.dims.reduce((a, b) => a * b, 1);
    if (t.widths.length !== size) throw new FbnetError('USAGE', `mask table over [${t.keys.join(', ')}]: ${t.widths.length} widths for ${size} joint options`);
    // Per joint option d (row-major), the flat index of each key's weight in the concatenated vector.
    const index = jointConfigs(t.dims).map((digits) => digits.map((j, i) => offsets.get(t.keys[i])! + j));
    return { t, index };
  });
  const outSizes = tables.map((t) => t.k);
  const jointOf = (g: ArrayLike<number>, idx: readonly number[], skip = -1) => {
    let p = 1;
    for (let i = 0; i < idx.length; i++) if (i !== skip) p *= g[idx[i]];
    return p;
  };
  const fused = tf.customGrad(((gIn: tf.Tensor) => {
    const g = gIn.dataSync();
    const out = new Float32Array(outSizes.reduce((a, b) => a + b, 0));
    let base = 0;
    for (const { t, index } of plans) {
      // h[w]: weight of the joint options with w leading channels on; M[c] = Σ_{w > c} h[w].
      const h = new Float64Array(t.k + 1);
      index.forEach((idx, d) => (h[Math.max(0, Math.min(t.widths[d], t.k))] += jointOf(g, idx)));
      let acc = 0;
      for (let c = t.k - 1; c >= 0; c--) (acc += h[c + 1]), (out[base + c] = acc);
      base += t.k;
    }
    return {
      value: tf.tensor1d(out),
      gradFunc: (dy: tf.Tensor) => {
        const dm = dy.dataSync();
        const dg = new Float32Array(g.length);
        let b = 0;
        for (const { t, index } of plans) {
          // ∂M[c]/∂w_d = 1 for c < widths[d]: the joint option's gradient is a prefix sum of dM.
          const prefix = new Float64Array(t.k + 1);
          for (let c = 0; c < t.k; c++) prefix[c + 1] = prefix[c] + dm[b + c];
          index.forEach((idx, d) => {
            const dj = prefix[Math.max(0, Math.min(t.widths[d], t.k))];
            if (dj !== 0) idx.forEach((flat, i) => (dg[flat] += dj * jointOf(g, idx, i)));
          });
          b += t.k;
        }
        return tf.tensor1d(dg);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (weights) =>
    tf.tidy(() => {
      const ws = keys.map((k, i) => {
        const w = weights(k);
        if (w.size !== sizes[i]) throw new FbnetError('USAGE', `mask table: choice "${k}" has ${w.size} weights, the table ${sizes[i]} options`);
        return w;
      });
      const all = fused(ws.length === 1 ? ws[0] : tf.concat(ws)) as tf.Tensor1D;
      return tables.length === 1 ? [all] : (tf.split(all, outSizes) as tf.Tensor1D[]);
    });
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * The arithmetic the effective-cost walk needs, over plain float64 numbers or over TF.js
 * tensors. Values that depend on no Gumbel weight stay JS numbers (constant folding), so a
 * graph with few choices costs few tensor ops and constants stay exact in float64.
 */
export type Val<S> = number | S;

export interface Algebra<S, V> {
  add(a: Val<S>, b: Val<S>): Val<S>;
  mul(a: Val<S>, b: Val<S>): Val<S>;
  div(a: Val<S>, k: number): Val<S>;
  /** Σ_i w_i x_i */
  dot(w: V, xs: Val<S>[]): Val<S>;
  /** Σ_{i,j,..} w0_i w1_j .. table[i,j,..], table row-major over dims. */
  contract(ws: V[], dims: number[], table: number[]): Val<S>;
  length(w: V): number;
  /** Weights of a one-option choice that was not given. */
  unit(): V;
}

export const numberAlgebra: Algebra<number, ArrayLike<number>> = {
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  div: (a, k) => a / k,
  dot: (w, xs) => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += w[i] * xs[i];
    return s;
  },
  contract: (ws, dims, table) => {
    let t = Array.from(table);
    ws.forEach((w, k) => {
      const d = dims[k];
      const rest = t.length / d;
      const next = new Array<number>(rest).fill(0);
      for (let i = 0; i < d; i++) {
        const wi = w[i];
        for (let j = 0; j < rest; j++) next[j] += wi * t[i * rest + j];
      }
      t = next;
    });
    return t[0];
  },
  length: (w) => w.length,
  unit: () => [1],
};

const isNum = (x: unknown): x is number => typeof x === 'number';

/** Call only inside tf.tidy: intermediate tensors are left for the tidy to free. */
export const tensorAlgebra: Algebra<tf.Scalar, tf.Tensor1D> = {
  add: (a, b) => (isNum(a) && isNum(b) ? a + b : a === 0 ? b : b === 0 ? a : (tf.add(a, b) as tf.Scalar)),
  mul: (a, b) => {
    if (isNum(a) && isNum(b)) return a * b;
    if (a === 1) return b;
    if (b === 1) return a;
    return tf.mul(a, b) as tf.Scalar;
  },
  div: (a, k) => (isNum(a) ? a / k : k === 1 ? a : (tf.div(a, k) as tf.Scalar)),
  dot: (w, xs) => {
    if (xs.every(isNum)) return tf.sum(tf.mul(w, tf.tensor1d(xs as number[], 'float32'))) as tf.Scalar;
    return tf.sum(tf.mul(w, tf.stack(xs.map((x) => (isNum(x) ? tf.scalar(x) : x))))) as tf.Scalar;
  },
  contract: (ws, dims, table) => {
    let t: tf.Tensor = tf.tensor1d(table, 'float32');
    ws.forEach((w, k) => {
      const d = dims[k];
      const rest = t.size / d;
      t = tf.matMul(tf.reshape(w, [1, d]), tf.reshape(t, [d, rest]));
    });
    return tf.reshape(t, []) as tf.Scalar;
  },
  length: (w) => w.size,
  unit: () => tf.ones([1]) as tf.Tensor1D,
};

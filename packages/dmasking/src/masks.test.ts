import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { tableMask, tableMasks, type MaskTable } from './masks.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const dimsOf: Record<string, number> = { a: 3, b: 4, c: 2 };
// Tables over one, two and three choices, widths of 0 (term absent) and above k, and no choice at all.
const TABLES: MaskTable[] = [
  { keys: ['a'], dims: [3], widths: [2, 5, 8], k: 8 },
  { keys: ['a', 'b'], dims: [3, 4], widths: [0, 3, 6, 9, 1, 1, 7, 8, 4, 0, 12, 2], k: 8 },
  { keys: ['b', 'c', 'a'], dims: [4, 2, 3], widths: Array.from({ length: 24 }, (_, i) => (i * 7) % 11), k: 10 },
  { keys: [], dims: [], widths: [3], k: 5 },
];

function softmaxWeights(seed: number): Record<string, tf.Tensor1D> {
  const rng = new Rng(seed);
  return Object.fromEntries(Object.entries(dimsOf).map(([k, n]) => [k, tf.softmax(tf.tensor1d(Array.from({ length: n }, () => 2 * rng.normal()))) as tf.Tensor1D]));
}

/** A scalar of every mask (random coefficients), as a function of the choice weights. */
function loss(masks: (ws: Record<string, tf.Tensor1D>) => tf.Tensor1D[], coef: tf.Tensor1D[]) {
  return (...w: tf.Tensor[]) => {
    const ws = Object.fromEntries(Object.keys(dimsOf).map((k, i) => [k, w[i] as tf.Tensor1D]));
    return tf.addN(masks(ws).map((m, i) => tf.sum(tf.mul(m, coef[i])))) as tf.Scalar;
  };
}

describe('tableMasks (all masks in one host op)', () => {
  it('gives the masks and gradients of the kernel formulation (tableMask: joint weights, 0/1 prefix matrix, matmul)', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const ws = softmaxWeights(3);
      const rng = new Rng(9);
      const coef = TABLES.map((t) => tf.tensor1d(Array.from({ length: t.k }, () => rng.normal())));
      const host = tableMasks(TABLES, (k) => ws[k]);
      const ref = TABLES.map((t) => tableMask(t, (k) => ws[k]));
      host.forEach((m, i) => {
        expect(m.shape).toEqual([TABLES[i].k]);
        const a = m.dataSync(), b = ref[i].dataSync();
        for (let c = 0; c < a.length; c++) expect(a[c]).toBeCloseTo(b[c], 6);
      });
      const keys = Object.keys(dimsOf);
      const gHost = tf.grads(loss((w) => tableMasks(TABLES, (k) => w[k]), coef))(keys.map((k) => ws[k]));
      const gRef = tf.grads(loss((w) => TABLES.map((t) => tableMask(t, (k) => w[k])), coef))(keys.map((k) => ws[k]));
      gHost.forEach((g, i) => {
        const a = g.dataSync(), b = gRef[i].dataSync();
        expect(a.length).toBe(dimsOf[keys[i]]);
        for (let c = 0; c < a.length; c++) expect(a[c]).toBeCloseTo(b[c], 5);
      });
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has the gradient of central finite differences', () => {
    tf.tidy(() => {
      const rng = new Rng(5);
      // Raw (not normalised) weights, so every coordinate can move on its own.
      const ws = Object.fromEntries(Object.entries(dimsOf).map(([k, n]) => [k, tf.tensor1d(Array.from({ length: n }, () => 0.2 + rng.next()), 'float32')]));
      const coef = TABLES.map((t) => tf.tensor1d(Array.from({ length: t.k }, () => rng.normal())));
      const keys = Object.keys(dimsOf);
      const f = loss((w) => tableMasks(TABLES, (k) => w[k]), coef);
      const grads = tf.grads(f)(keys.map((k) => ws[k]));
      const eps = 1e-2;
      keys.forEach((key, i) => {
        const base = Array.from(ws[key].dataSync());
        for (let j = 0; j < base.length; j++) {
          const at = (d: number) => {
            const args = keys.map((k) => (k === key ? tf.tensor1d(base.map((v, q) => (q === j ? v + d : v))) : ws[k]));
            return f(...args).dataSync()[0];
          };
          const fd = (at(eps) - at(-eps)) / (2 * eps);
          expect(grads[i].dataSync()[j]).toBeCloseTo(fd, 2);
        }
      });
    });
  });

  it('names a table whose options do not match the weights', () => {
    tf.tidy(() => {
      const ws = softmaxWeights(1);
      expect(() => tableMasks([{ keys: ['a'], dims: [4], widths: [1, 2, 3, 4], k: 4 }], (k) => ws[k])).toThrow(/choice "a" has 3 weights, the table 4 options/);
      expect(() => tableMasks([{ keys: ['a', 'a'], dims: [3, 3], widths: Array(9).fill(1), k: 4 }], (k) => ws[k])).toThrow(/repeats a choice key/);
    });
  });
});

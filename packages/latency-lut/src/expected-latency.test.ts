import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { archFromChoice, FBNET_V1_CANDIDATES, FbnetError, parseSearchSpace, Rng } from '@fbnet/core';
import { expectedLatency, latencyMatrix } from './expected-latency.ts';
import { archLatency } from './predict.ts';
import type { LatencyTable } from './schema.ts';
import { fakeLut, tinySpace } from './_test-fixtures.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** Independent float64 reference: Σ_l softmax(θ_l) · lat_l + fixed. */
function refExpected(theta: number[][], lat: number[][], fixed: number): number {
  let s = fixed;
  theta.forEach((row, l) => {
    const mx = Math.max(...row);
    const ex = row.map((t) => Math.exp(t - mx));
    const z = ex.reduce((a, b) => a + b, 0);
    ex.forEach((e, i) => (s += (e / z) * lat[l][i]));
  });
  return s;
}

describe('latency matrix and the eq. 9 expectation', () => {
  const space = tinySpace();
  const lut = fakeLut(space);

  it('a one-hot m gives exactly LAT(a) of the arch it selects', () => {
    const e = expectedLatency(space, lut);
    for (const ops of [[0, 0, 0, 0], [1, 2, 0, 1], [2, 2, 2, 2]]) {
      const m = tf.cast(tf.oneHot(tf.tensor1d(ops, 'int32'), 3), 'float32') as tf.Tensor2D;
      const v = e.expected(m);
      expect(v.dataSync()[0]).toBeCloseTo(archLatency(lut, archFromChoice(space, { ops })).plainMs, 4);
      tf.dispose([m, v]);
    }
    e.dispose();
  });

  it('matrix rows are the candidates of each layer; the repeated layers share values', () => {
    const m = latencyMatrix(space, lut);
    expect(m.candidates).toEqual([['k3_e1', 'k3_e3', 'skip'], ['k3_e1', 'k3_e3', 'skip'], ['k3_e1', 'k3_e3', 'skip'], ['k3_e1', 'k3_e3', 'skip']]);
    // fakeLut medians: entry i -> 1 + i (see predict.test.ts for the order)
    expect(m.ms).toEqual([[3, 4, 5], [6, 7, 8], [9, 10, 11], [9, 10, 11]]);
    expect(m.fixedMs).toBeCloseTo(1 + 2 + 12 + 13 + 0.01, 10);
  });

  it('value and gradient w.r.t. θ through a softmax match a float64 reference and finite differences', () => {
    const e = expectedLatency(space, lut);
    const lat = e.matrix.ms;
    const rng = new Rng(3);
    const theta0 = lat.map((r) => r.map(() => rng.normal()));
    const theta = tf.tensor2d(theta0);
    const f = (t: tf.Tensor2D) => e.expected(tf.softmax(t) as tf.Tensor2D);
    const before = tf.memory().numTensors;
    const { value, grad } = tf.tidy(() => {
      const g = tf.valueAndGrad(f)(theta);
      return { value: g.value.dataSync()[0], grad: g.grad.arraySync() as number[][] };
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(value).toBeCloseTo(refExpected(theta0, lat, e.fixedMs), 3);
    const h = 1e-5;
    theta0.forEach((row, l) =>
      row.forEach((_, i) => {
        const plus = theta0.map((r) => [...r]);
        const minus = theta0.map((r) => [...r]);
        plus[l][i] += h;
        minus[l][i] -= h;
        const fd = (refExpected(plus, lat, e.fixedMs) - refExpected(minus, lat, e.fixedMs)) / (2 * h);
        // analytic: p_i (lat_i − E_l)
        expect(grad[l][i]).toBeCloseTo(fd, 3);
      }),
    );
    // the gradient pushes probability towards cheaper candidates: dE/dθ < 0 for the cheapest of each layer
    grad.forEach((row, l) => expect(row[lat[l].indexOf(Math.min(...lat[l]))]).toBeLessThan(0));
    theta.dispose();
    e.dispose();
  });

  it('takes one Tensor1D per layer (ragged candidate lists) as well', () => {
    const e = expectedLatency(space, lut);
    const rows = [[0.2, 0.3, 0.5], [1, 0, 0], [0, 0, 1], [0.5, 0.5, 0]].map((r) => tf.tensor1d(r));
    const m2 = tf.stack(rows) as tf.Tensor2D;
    const a = e.expected(rows);
    const b = e.expected(m2);
    expect(a.dataSync()[0]).toBeCloseTo(b.dataSync()[0], 4);
    const grads = tf.grads((...w: tf.Tensor[]) => e.expected(w as tf.Tensor1D[]))(rows);
    expect(grads.map((g) => Array.from(g.dataSync()))).toEqual(e.matrix.ms.map((r) => r.map((x) => expect.closeTo(x, 4))));
    tf.dispose([...rows, m2, a, b, ...grads]);
    e.dispose();
  });

  it('folds the table\'s correction into the matrix (it is linear in the entries)', () => {
    const corrected: LatencyTable = {
      ...lut,
      correction: { model: 'per-op', offsetMs: 0.7, scale: 1, opWeights: { skip: 2 }, calibration: { samples: 3, seed: 0, looMape: {}, plain: { mape: 1, within10: 1, kendallTau: 1 }, corrected: { mape: 1, within10: 1, kendallTau: 1 } }, fittedAt: 'x' },
    };
    const e = expectedLatency(space, corrected);
    const ops = [2, 0, 2, 1];
    const m = tf.cast(tf.oneHot(tf.tensor1d(ops, 'int32'), 3), 'float32') as tf.Tensor2D;
    expect(e.expected(m).dataSync()[0]).toBeCloseTo(archLatency(corrected, archFromChoice(space, { ops })).correctedMs!, 4);
    expect(expectedLatency(space, corrected, { corrected: false }).matrix.ms).toEqual(latencyMatrix(space, lut).ms);
    e.dispose();
  });

  it('rejects wrongly shaped weights', () => {
    const e = expectedLatency(space, lut);
    expect(() => e.expected(tf.zeros([4, 2]) as tf.Tensor2D)).toThrow(/shape \[4,2\], expected \[4,3\]/);
    expect(() => e.expected([tf.zeros([3]) as tf.Tensor1D])).toThrow(/weights for 1 layers, the space has 4/);
    e.dispose();
  });

  it('refuses a space whose candidates\' input channels depend on the previous layer (channel search), naming the layer', () => {
    const { k3_e1, skip } = FBNET_V1_CANDIDATES;
    const v2 = parseSearchSpace({
      version: 1,
      name: 'v2ish',
      input_size: 8,
      input_channels: 1,
      num_classes: 4,
      candidates: { k3_e1, skip },
      stages: [[{ fixed: ['conv_k3', 8, 2, 1] }], [{ searchable: { c: 16, s: 1, n: 2, candidates: ['k3_e1', 'skip'], channels: [8, 16] } }]],
    });
    expect(() => latencyMatrix(v2, fakeLut(v2))).toThrow(FbnetError);
    expect(() => latencyMatrix(v2, fakeLut(v2))).toThrow(/layer 0 \(stage 1\).*input channels depend on the previous layer's choice/);
  });
});

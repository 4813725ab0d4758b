import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { archFromChoice, FBNET_V1_CANDIDATES, FbnetError, parseSearchSpace, Rng, sampleChoice } from '@fbnet/core';
import { LatencyModel, latencyMatrix } from './expected-latency.ts';
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

describe('latency model: the V1 matrix and the eq. 9 expectation', () => {
  const space = tinySpace();
  const lut = fakeLut(space);

  const oneHotRows = (ops: number[]) => ops.map((k) => tf.tensor1d([0, 1, 2].map((i) => (i === k ? 1 : 0))));

  it('a one-hot m gives exactly LAT(a) of the arch it selects, and so do choiceMs, archMs and the masked form', () => {
    const e = LatencyModel.of(space, lut);
    for (const ops of [[0, 0, 0, 0], [1, 2, 0, 1], [2, 2, 2, 2]]) {
      const want = archLatency(lut, archFromChoice(space, { ops })).plainMs;
      const rows = oneHotRows(ops);
      const v = e.expectedV1(rows);
      expect(v.dataSync()[0]).toBeCloseTo(want, 4);
      expect(e.choiceMs(ops)).toBeCloseTo(want, 10);
      expect(e.archMs(archFromChoice(space, { ops }))).toBeCloseTo(want, 10);
      expect(e.expectedV1Value(ops.map((k) => [0, 1, 2].map((i) => (i === k ? 1 : 0))))).toBeCloseTo(want, 10);
      expect(e.expectedMaskedValue(e.oneHot({ ops }))).toBeCloseTo(want, 10);
      tf.dispose([...rows, v]);
    }
    e.dispose();
  });

  it('matrix rows are the candidates of each layer; the repeated layers share values', () => {
    const m = latencyMatrix(space, lut);
    expect(m.candidates).toEqual([['k3_e1', 'k3_e3', 'skip'], ['k3_e1', 'k3_e3', 'skip'], ['k3_e1', 'k3_e3', 'skip'], ['k3_e1', 'k3_e3', 'skip']]);
    // fakeLut medians: entry i -> 1 + i (see predict.test.ts for the order)
    expect(m.ms).toEqual([[3, 4, 5], [6, 7, 8], [9, 10, 11], [9, 10, 11]]);
    expect(m.fixedMs).toBeCloseTo(1 + 2 + 12 + 13 + 0.01, 10);
    expect(LatencyModel.of(space, lut).layers).toEqual({ layerMs: m.ms, fixedMs: m.fixedMs });
  });

  it('value and gradient w.r.t. θ through a softmax match a float64 reference and finite differences; no tensor leaks', () => {
    const e = LatencyModel.of(space, lut);
    const lat = e.layers.layerMs;
    const fixed = e.layers.fixedMs;
    const rng = new Rng(3);
    const theta0 = lat.map((r) => r.map(() => rng.normal()));
    const thetas = theta0.map((r) => tf.tensor1d(r));
    const f = (...t: tf.Tensor[]) => e.expectedV1(t.map((x) => tf.softmax(x) as tf.Tensor1D));
    const once = () =>
      tf.tidy(() => {
        const g = tf.grads(f)(thetas);
        return { value: f(...thetas).dataSync()[0], grad: g.map((x) => Array.from(x.dataSync())) };
      });
    once(); // the model keeps its matrix rows as tensors from the first call on
    const before = tf.memory().numTensors;
    const { value, grad } = once();
    expect(tf.memory().numTensors).toBe(before);
    expect(value).toBeCloseTo(refExpected(theta0, lat, fixed), 3);
    const softmax = (r: number[]) => {
      const mx = Math.max(...r);
      const ex = r.map((t) => Math.exp(t - mx));
      const z = ex.reduce((a, b) => a + b, 0);
      return ex.map((x) => x / z);
    };
    expect(e.expectedV1Value(theta0.map(softmax))).toBeCloseTo(refExpected(theta0, lat, fixed), 10);
    const h = 1e-5;
    theta0.forEach((row, l) =>
      row.forEach((_, i) => {
        const plus = theta0.map((r) => [...r]);
        const minus = theta0.map((r) => [...r]);
        plus[l][i] += h;
        minus[l][i] -= h;
        const fd = (refExpected(plus, lat, fixed) - refExpected(minus, lat, fixed)) / (2 * h);
        // analytic: p_i (lat_i − E_l)
        expect(grad[l][i]).toBeCloseTo(fd, 3);
      }),
    );
    // the gradient pushes probability towards cheaper candidates: dE/dθ < 0 for the cheapest of each layer
    grad.forEach((row, l) => expect(row[lat[l].indexOf(Math.min(...lat[l]))]).toBeLessThan(0));
    tf.dispose(thetas);
    e.dispose();
  });

  it('the V1 expectation and the masked (V2) one agree on a V1 space at soft weights', () => {
    const e = LatencyModel.of(space, lut);
    const rng = new Rng(9);
    const probs = e.layers.layerMs.map((r) => {
      const raw = r.map(() => 0.1 + rng.next());
      const z = raw.reduce((a, b) => a + b, 0);
      return raw.map((x) => x / z);
    });
    const keyed = Object.fromEntries(probs.map((p, l) => [`op/${l}`, p]));
    expect(e.expectedMaskedValue(keyed)).toBeCloseTo(e.expectedV1Value(probs), 9);
    const rows = probs.map((p) => tf.tensor1d(p));
    const a = tf.tidy(() => e.expectedV1(rows).dataSync()[0]);
    const b = tf.tidy(() => e.expectedMasked(Object.fromEntries(rows.map((r, l) => [`op/${l}`, r]))).dataSync()[0]);
    expect(Math.abs(a - b) / a).toBeLessThan(1e-6);
    tf.dispose(rows);
    e.dispose();
  });

  it('a model from a given layer matrix: synthetic latencies, no table behind it', () => {
    const e = LatencyModel.fromLayers({ layerMs: [[1, 2], [3, 4, 5]], fixedMs: 0.5 });
    expect(e.choiceMs([1, 2])).toBe(0.5 + 2 + 5);
    expect(e.expectedV1Value([[0.5, 0.5], [0, 1, 0]])).toBeCloseTo(0.5 + 1.5 + 4, 12);
    expect(() => e.archMs(archFromChoice(space, sampleChoice(space, new Rng(1))))).toThrow(/no table/);
    expect(() => e.expectedMaskedValue({})).toThrow(/no search space/);
    e.dispose();
  });

  it("folds the table's correction into the matrix (it is linear in the entries)", () => {
    const corrected: LatencyTable = {
      ...lut,
      correction: { model: 'per-op', offsetMs: 0.7, scale: 1, opWeights: { skip: 2 }, calibration: { samples: 3, seed: 0, looMape: {}, plain: { mape: 1, within10: 1, kendallTau: 1 }, corrected: { mape: 1, within10: 1, kendallTau: 1 } }, fittedAt: 'x' },
    };
    const e = LatencyModel.of(space, corrected);
    const ops = [2, 0, 2, 1];
    const rows = oneHotRows(ops);
    const want = archLatency(corrected, archFromChoice(space, { ops })).correctedMs!;
    expect(tf.tidy(() => e.expectedV1(rows).dataSync()[0])).toBeCloseTo(want, 4);
    expect(e.archMs(archFromChoice(space, { ops }))).toBeCloseTo(want, 10);
    expect(e.expectedMaskedValue(e.oneHot({ ops }))).toBeCloseTo(want, 10);
    expect(LatencyModel.of(space, corrected, { corrected: false }).layers.layerMs).toEqual(latencyMatrix(space, lut).ms);
    tf.dispose(rows);
    e.dispose();
  });

  it('rejects wrongly shaped weights', () => {
    const e = LatencyModel.of(space, lut);
    expect(() => e.expectedV1([0, 1, 2, 3].map(() => tf.zeros([2]) as tf.Tensor1D))).toThrow(/layer 0 weights have shape \[2\], expected \[3\]/);
    expect(() => e.expectedV1([tf.zeros([3]) as tf.Tensor1D])).toThrow(/weights for 1 layers, the space has 4/);
    expect(() => e.expectedMaskedValue({ 'op/0': [1, 0, 0] })).toThrow(/no weights for choice "op\/1"/);
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

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Rng } from '@fbnet/core';
import { argmaxTheta, gumbelSoftmax, sampleFromTheta, temperatureAt, temperatureDecay, thetaProbs } from './gumbel.ts';
import { latencyAwareLoss } from './loss.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('Gumbel-softmax (eq. 8)', () => {
  it('matches hand-computed weights', () => {
    // θ = [0, ln 2, 0], g = [0.1, -0.2, 0.3], τ = 2 (values from a hand calculation in float64)
    const m = tf.tidy(() => gumbelSoftmax(tf.tensor1d([0, Math.log(2), 0]), [0.1, -0.2, 0.3], 2).dataSync());
    expect(m[0]).toBeCloseTo(0.300987617584565, 6);
    expect(m[1]).toBeCloseTo(0.3663696207600995, 6);
    expect(m[2]).toBeCloseTo(0.3326427616553356, 6);
  });
  it('straight-through hard: one-hot forward, soft gradient', () => {
    const theta = tf.tensor1d([0, Math.log(2), 0]);
    const noise = [0.1, -0.2, 0.3];
    const c = tf.tensor1d([1, 2, 5]);
    const hard = tf.tidy(() => gumbelSoftmax(theta, noise, 2, true).dataSync());
    expect(Array.from(hard)).toEqual([0, 1, 0]);
    const gSoft = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gumbelSoftmax(t as tf.Tensor1D, noise, 2, false), c)))(theta).dataSync();
    const gHard = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gumbelSoftmax(t as tf.Tensor1D, noise, 2, true), c)))(theta).dataSync();
    for (let i = 0; i < 3; i++) expect(gHard[i]).toBeCloseTo(gSoft[i], 6);
    expect(Math.abs(gSoft[0])).toBeGreaterThan(1e-3);
  });
  it('low temperature approaches one-hot, high temperature approaches uniform', () => {
    const cold = tf.tidy(() => gumbelSoftmax(tf.tensor1d([1, 2, 0]), [0, 0, 0], 0.01).dataSync());
    const hot = tf.tidy(() => gumbelSoftmax(tf.tensor1d([1, 2, 0]), [0, 0, 0], 1000).dataSync());
    expect(cold[1]).toBeGreaterThan(0.999);
    for (const v of hot) expect(v).toBeCloseTo(1 / 3, 2);
  });
});

describe('temperature schedule', () => {
  it('τ0 = 5, ×exp(-0.045) per epoch', () => {
    expect(temperatureAt(0, 5, 0.045)).toBe(5);
    expect(temperatureAt(10, 5, 0.045)).toBeCloseTo(3.1881407581088665, 10);
    expect(temperatureAt(2, 5, 0.045) / temperatureAt(1, 5, 0.045)).toBeCloseTo(Math.exp(-0.045), 12);
  });
  it('tauEnd: the decay that reaches τ_end at the last epoch (FBNet: 5 → ≈0.087 over 90 epochs)', () => {
    // 90 epochs at 0.045/epoch end at 5·e^(-0.045·89) = 0.0912…; asking for that end gives 0.045 back.
    expect(temperatureDecay(90, 5, 5 * Math.exp(-0.045 * 89), 1)).toBeCloseTo(0.045, 12);
    const k = temperatureDecay(8, 5, 0.1, 0.045);
    expect(temperatureAt(0, 5, k)).toBe(5);
    expect(temperatureAt(7, 5, k)).toBeCloseTo(0.1, 12);
    expect(temperatureDecay(8, 5, undefined, 0.045)).toBe(0.045);
    expect(temperatureDecay(1, 5, 0.1, 0.045)).toBe(0);
    expect(() => temperatureDecay(8, 5, 0, 0.045)).toThrow(/positive/);
  });
});

describe('latency-aware loss (eq. 2)', () => {
  it('is CE · α · (log LAT)^β, not the copied α·β·log LAT', () => {
    const v = tf.tidy(() => latencyAwareLoss(tf.scalar(2), tf.scalar(100), { alpha: 0.2, beta: 0.6 }).dataSync()[0]);
    expect(v).toBeCloseTo(1.0000170437558287, 5); // 2 · 0.2 · ln(100)^0.6
    expect(Math.abs(v - 1.105240844637142)).toBeGreaterThan(0.1); // 2 · 0.2 · 0.6 · ln(100)
  });
  it('gradient w.r.t. LAT is CE·α·β·(log LAT)^(β-1)/LAT', () => {
    const g = tf.grad((l: tf.Tensor) => latencyAwareLoss(tf.scalar(2), l as tf.Scalar, { alpha: 0.2, beta: 0.6 }))(tf.scalar(100)).dataSync()[0];
    expect(g).toBeCloseTo((2 * 0.2 * 0.6 * Math.log(100) ** -0.4) / 100, 7);
  });
  it('refuses a host-known lower bound LAT ≤ 1 (log would be ≤ 0) with a clear error', () => {
    expect(() => latencyAwareLoss(tf.scalar(1), tf.scalar(5), { alpha: 0.2, beta: 0.6, minLatency: 0.5 })).toThrow(/LAT > 1/);
    expect(() => latencyAwareLoss(tf.scalar(1), tf.scalar(5), { alpha: 0.2, beta: 0.6, minLatency: 1 })).toThrow(/LAT > 1/);
  });
  it('reads nothing back: a LAT ≤ 1 on the device gives a NaN loss, LAT > 1 its value', () => {
    const read = vi.spyOn(tf.Tensor.prototype, 'dataSync');
    const [a, b, c] = tf.tidy(() => [0.5, 1, 100].map((l) => latencyAwareLoss(tf.scalar(2), tf.scalar(l), { alpha: 0.2, beta: 0.6, minLatency: 2 })));
    expect(read).not.toHaveBeenCalled();
    read.mockRestore();
    expect(a.dataSync()[0]).toBeNaN();
    expect(b.dataSync()[0]).toBeNaN();
    expect(c.dataSync()[0]).toBeCloseTo(1.0000170437558287, 5);
    tf.dispose([a, b, c]);
  });
});

describe('sampling from P_θ (eq. 4, 6)', () => {
  it('P_θ is the softmax of θ', () => {
    const p = thetaProbs([0, Math.log(3)]);
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[1]).toBeCloseTo(0.75, 12);
  });
  it('samples follow P_θ and report the product probability', () => {
    const rng = new Rng(1);
    const thetas = [[0, Math.log(3)], [Math.log(4), 0]];
    let c1 = 0;
    for (let i = 0; i < 20000; i++) {
      const s = sampleFromTheta(thetas, rng);
      if (s.ops[0] === 1) c1++;
      const expected = (s.ops[0] ? 0.75 : 0.25) * (s.ops[1] ? 0.2 : 0.8);
      expect(s.probability).toBeCloseTo(expected, 12);
    }
    expect(c1 / 20000).toBeCloseTo(0.75, 1);
    const am = argmaxTheta(thetas);
    expect(am.ops).toEqual([1, 0]);
    expect(am.probability).toBeCloseTo(0.6, 12);
  });
});

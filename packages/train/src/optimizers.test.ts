import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FBNET_KERNELS } from '@fbnet/core';
import { cpuPlugin } from '@fbnet/backend-cpu';
import { cosineLr, Optimizer, type OptimizerConfig } from './optimizers.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** Run steps on w = [1, -2] with fixed gradients; returns w after each step. */
function steps(cfg: OptimizerConfig, grads: number[][], lr: number): number[][] {
  const v = tf.variable(tf.tensor1d([1, -2]));
  const opt = new Optimizer(cfg);
  const out: number[][] = [];
  for (const g of grads) {
    const gt = tf.tensor1d(g);
    opt.apply([v], { [v.name]: gt }, lr);
    gt.dispose();
    out.push(Array.from(v.dataSync()));
  }
  opt.dispose();
  v.dispose();
  return out;
}

// The same hand-computed expectations hold for the update composed from stock ops and for the
// plugins' one-kernel FbnetOptimizerStep.
describe.each([
  ['stock element-wise ops', false],
  ['the FbnetOptimizerStep kernel (cpu plugin)', true],
])('optimizers (PyTorch semantics, hand-computed): %s', (_name, fused) => {
  beforeAll(async () => {
    if (fused) await cpuPlugin.init();
    expect(!!tf.getKernel(FBNET_KERNELS.OptimizerStep, 'cpu')).toBe(fused);
    if (fused) cpuPlugin.dispatcher.resetCounts();
  });
  afterAll(async () => {
    if (!fused) return;
    const calls = Object.values(cpuPlugin.dispatcher.callCounts()[FBNET_KERNELS.OptimizerStep] ?? {}).reduce((a, b) => a + b, 0);
    await cpuPlugin.dispose();
    await tf.setBackend('cpu');
    expect(calls).toBeGreaterThan(0);
  });
  it('SGD with momentum and L2 weight decay', () => {
    // step 1: g' = g + wd*w = [0.5 + 0.1, 1 - 0.2] = [0.6, 0.8]; buf = g'; w = w - 0.1*buf = [0.94, -2.08]
    // step 2: g' = [0.5 + 0.094, 1 - 0.208] = [0.594, 0.792]; buf = 0.9*[0.6,0.8] + g' = [1.134, 1.512]
    //         w = [0.94 - 0.1134, -2.08 - 0.1512] = [0.8266, -2.2312]
    const w = steps({ kind: 'sgd', momentum: 0.9, weightDecay: 0.1 }, [[0.5, 1], [0.5, 1]], 0.1);
    expect(w[0][0]).toBeCloseTo(0.94, 6);
    expect(w[0][1]).toBeCloseTo(-2.08, 6);
    expect(w[1][0]).toBeCloseTo(0.8266, 6);
    expect(w[1][1]).toBeCloseTo(-2.2312, 6);
  });
  it('Nesterov SGD', () => {
    // step 1: buf = g = [1, 1]; step = g + 0.9 buf = [1.9, 1.9]; w = [1 - 0.19, -2 - 0.19]
    const w = steps({ kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0 }, [[1, 1]], 0.1);
    expect(w[0][0]).toBeCloseTo(0.81, 6);
    expect(w[0][1]).toBeCloseTo(-2.19, 6);
  });
  it('Adam: the first step moves each weight by lr (bias-corrected)', () => {
    const w = steps({ kind: 'adam', weightDecay: 0 }, [[0.3, -4]], 0.01);
    expect(w[0][0]).toBeCloseTo(0.99, 5);
    expect(w[0][1]).toBeCloseTo(-1.99, 5);
  });
  it('AdamW decouples weight decay', () => {
    // w = w - lr*(mhat/(sqrt(vhat)+eps)) - lr*wd*w = 1 - 0.01 - 0.01*0.5*1
    const w = steps({ kind: 'adamw', weightDecay: 0.5 }, [[0.3, -4]], 0.01);
    expect(w[0][0]).toBeCloseTo(1 - 0.01 - 0.005, 5);
    expect(w[0][1]).toBeCloseTo(-2 + 0.01 + 0.01, 5);
  });
  it('Adam, second step: moments and bias correction', () => {
    // m1 = 0.1 g1, s1 = 0.001 g1²; m2 = 0.9 m1 + 0.1 g2, s2 = 0.999 s1 + 0.001 g2²
    const g1 = 0.3, g2 = -0.6, lr = 0.01;
    const m2 = 0.9 * 0.1 * g1 + 0.1 * g2, s2 = 0.999 * 0.001 * g1 * g1 + 0.001 * g2 * g2;
    const w1 = 1 - lr; // first step moves by lr
    const w2 = w1 - (lr * (m2 / (1 - 0.9 ** 2))) / (Math.sqrt(s2 / (1 - 0.999 ** 2)) + 1e-8);
    const w = steps({ kind: 'adam', weightDecay: 0 }, [[g1, 1], [g2, 1]], lr);
    expect(w[1][0]).toBeCloseTo(w2, 6);
  });
  it('RMSProp with momentum, two steps', () => {
    // sq1 = 0.1*4 = 0.4, buf1 = 2/sqrt(0.4); sq2 = 0.9*0.4 + 0.1*1 = 0.46, buf2 = 0.5 buf1 + 1/sqrt(0.46)
    const buf1 = 2 / Math.sqrt(0.4), buf2 = 0.5 * buf1 + 1 / Math.sqrt(0.46);
    const w = steps({ kind: 'rmsprop', rho: 0.9, momentum: 0.5, weightDecay: 0 }, [[2, 0], [1, 0]], 0.01);
    expect(w[0][0]).toBeCloseTo(1 - 0.01 * buf1, 5);
    expect(w[1][0]).toBeCloseTo(1 - 0.01 * buf1 - 0.01 * buf2, 5);
    expect(w[1][1]).toBeCloseTo(-2, 6);
  });
  it('RMSProp', () => {
    // sq = 0.1*g^2 = [0.1*4]; w = 1 - 0.01 * 2/sqrt(0.4)
    const w = steps({ kind: 'rmsprop', rho: 0.9, weightDecay: 0 }, [[2, 0]], 0.01);
    expect(w[0][0]).toBeCloseTo(1 - (0.01 * 2) / Math.sqrt(0.4), 5);
    expect(w[0][1]).toBeCloseTo(-2, 6);
  });
  it('only decays what the filter selects', () => {
    const v = tf.variable(tf.tensor1d([1]));
    const opt = new Optimizer({ kind: 'sgd', weightDecay: 1 }, () => false);
    opt.apply([v], { [v.name]: tf.tensor1d([0]) }, 0.1);
    expect(v.dataSync()[0]).toBe(1);
    opt.dispose();
  });
});

describe('learning-rate schedules', () => {
  it('cosine schedule with warm-up', () => {
    expect(cosineLr(0, 100, 0.1, 10)).toBeCloseTo(0.01, 10);
    expect(cosineLr(9, 100, 0.1, 10)).toBeCloseTo(0.1, 10);
    expect(cosineLr(10, 100, 0.1, 10)).toBeCloseTo(0.1, 10);
    expect(cosineLr(55, 100, 0.1, 10)).toBeCloseTo(0.05, 10); // halfway through the cosine
    expect(cosineLr(100, 100, 0.1, 10)).toBeCloseTo(0, 10);
  });
});

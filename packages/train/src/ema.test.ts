import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FBNET_KERNELS } from '@fbnet/core';
import { cpuPlugin } from '@fbnet/backend-cpu';
import { hasMixKernel, ParamStore } from '@fbnet/nn';
import { WeightEma } from './ema.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// The same hand-computed figures with stock ops and with the plugins' mixed-operation kernel.
describe.each([
  ['stock ops', false],
  ['the FbnetMix kernel (cpu plugin)', true],
])('WeightEma: %s', (_name, fused) => {
  beforeAll(async () => {
    if (fused) await cpuPlugin.init();
    expect(hasMixKernel()).toBe(fused);
    if (fused) cpuPlugin.dispatcher.resetCounts();
  });
  afterAll(async () => {
    if (!fused) return;
    const calls = Object.values(cpuPlugin.dispatcher.callCounts()[FBNET_KERNELS.Mix] ?? {}).reduce((a, b) => a + b, 0);
    await cpuPlugin.dispose();
    await tf.setBackend('cpu');
    expect(calls).toBeGreaterThan(0);
  });

  it("warms up as TensorFlow's num_updates rule: d_t = min(decay, (1+t)/(10+t)), hand-computed", () => {
    const store = new ParamStore();
    const w = store.add('w', tf.tensor1d([0, 10]));
    const ema = new WeightEma(store, 0.9);
    expect(ema.decayAt(0)).toBeCloseTo(0.1, 12);
    expect(ema.decayAt(5)).toBeCloseTo(6 / 15, 12);
    expect(ema.decayAt(1000)).toBe(0.9);
    // step 0: w → [1, 20]; d = 0.1: ema = 0.1·[0, 10] + 0.9·[1, 20] = [0.9, 19]
    w.assign(tf.tensor1d([1, 20]));
    ema.update(0);
    // step 1: w → [2, 30]; d = 2/11: ema = (2/11)·[0.9, 19] + (9/11)·[2, 30] = [19.8/11, 308/11]
    w.assign(tf.tensor1d([2, 30]));
    ema.update(1);
    ema.swapIn();
    const got = Array.from(w.dataSync());
    expect(got[0]).toBeCloseTo(19.8 / 11, 5);
    expect(got[1]).toBeCloseTo(308 / 11, 4);
    ema.swapOut();
    expect(Array.from(w.dataSync())).toEqual([2, 30]);
    // long after warm-up the configured decay applies: d = 0.9
    ema.update(10_000);
    ema.swapIn();
    expect(w.dataSync()[0]).toBeCloseTo(0.9 * (19.8 / 11) + 0.1 * 2, 5);
    ema.dispose();
    store.dispose();
  });

  it('leaves no tensors behind', () => {
    const store = new ParamStore();
    store.add('w', tf.ones([3, 3]));
    const before = tf.memory().numTensors;
    const ema = new WeightEma(store, 0.99);
    const withShadow = tf.memory().numTensors;
    ema.update(0);
    ema.update(1);
    expect(tf.memory().numTensors).toBe(withShadow);
    ema.swapIn();
    ema.swapOut();
    expect(tf.memory().numTensors).toBe(withShadow);
    ema.dispose();
    expect(tf.memory().numTensors).toBe(before);
    store.dispose();
  });
});

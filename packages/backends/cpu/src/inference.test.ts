import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseArchDef } from '@fbnet/core';
import { Net } from '@fbnet/nn';
import { maxRelDiff, NATIVE_1T_VARIANT, NATIVE_VARIANT, nativeStatus } from '@fbnet/backend-common';
import { cpuPlugin } from './plugin.ts';
import { cpuStorage } from './storage.ts';

tf.env().set('PROD', true);

// The reference net of #16's batch-1 latency target.
const DEF = parseArchDef(JSON.parse(readFileSync(new URL('../../../../benchmarks/nets/fbnet-bench-28.json', import.meta.url), 'utf8')));

function input(batch: number): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: batch * 28 * 28 }, (_, i) => (i * 37) % 255), [batch, 28, 28, 1]);
}

async function logits(net: Net, x: tf.Tensor4D): Promise<Float32Array> {
  const y = net.forward(x, { training: false });
  const v = (await y.data()) as Float32Array;
  y.dispose();
  return v;
}

describe('inference on the cpu plugin (BN folded into fused convs)', () => {
  const net = new Net(DEF, { seed: 8 });
  const stock: Record<number, Float32Array> = {};

  beforeAll(async () => {
    await tf.setBackend('cpu');
    // Running statistics away from (0, 1), so the folded biases and scales are not trivial.
    const x = input(4);
    for (let i = 0; i < 3; i++) tf.dispose(net.forward(x, { training: true }));
    x.dispose();
    net.releaseInferenceCache();
    // References: the same net on stock tfjs-backend-cpu kernels, before the plugin is installed.
    for (const b of [1, 3]) {
      const xb = input(b);
      stock[b] = await logits(net, xb);
      xb.dispose();
    }
    net.releaseInferenceCache();
    await cpuPlugin.init();
  });
  afterAll(async () => {
    net.dispose();
    await cpuPlugin.dispose();
  });

  it('gives the logits of stock TF.js at batch 1 and 3', async () => {
    for (const b of [1, 3]) {
      const x = input(b);
      expect(maxRelDiff(await logits(net, x), stock[b]), `batch ${b}`).toBeLessThan(1e-4);
      x.dispose();
    }
  });

  it('at batch 1 keeps every activation in the native heap and runs small convs on one thread', async () => {
    if (!nativeStatus().available) return;
    const x = input(1);
    await logits(net, x); // folds BN once
    const write = vi.spyOn(cpuStorage, 'write');
    cpuPlugin.dispatcher.resetCounts();
    const before = tf.memory().numTensors;
    const got = await logits(net, x);
    expect(tf.memory().numTensors).toBe(before);
    const counts = cpuPlugin.dispatcher.callCounts();
    // 12 pointwise/stem convs, 6 depthwise, 3 residual adds, 1 global pool of the reference net.
    expect(counts.FusedConv2D).toEqual({ [NATIVE_1T_VARIANT]: 12 });
    expect(counts.FusedDepthwiseConv2D).toEqual({ [NATIVE_1T_VARIANT]: 6 });
    expect(counts.Add[NATIVE_VARIANT]).toBe(3);
    expect(counts.Mean).toEqual({ [NATIVE_VARIANT]: 1 });
    // Only the pooled features (64 values, read by the classifier's stock kernels) leave the heap.
    expect(write.mock.calls.map(([, t]) => t.shape)).toEqual([[1, 64]]);
    write.mockRestore();
    expect(maxRelDiff(got, stock[1])).toBeLessThan(1e-4);
    x.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { createCpuPlugin } from '@fbnet/backend-cpu';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ArchDef } from '@fbnet/core';
import { loadFashionMnist, takeSamples, type ImageDataset } from '@fbnet/data';
import { Net } from '@fbnet/nn';
import { parseRecipe } from './recipe.ts';
import { trainNet, type TrainEvent } from './trainer.ts';

// Issue 14: the loop reads the loss back every `readEvery` steps, never anything else per step.
const arch: ArchDef = { input_size: 28, input_channels: 1, num_classes: 10, basic_args: { width_divisor: 1 }, blocks: [[['conv_k3', 4, 2, 1]], [['ir_k3', 4, 2, 1, { expansion: 2 }]]] };
const norm = { mean: [0.286], std: [0.353] };
let train: ImageDataset;

beforeAll(async () => {
  tf.env().set('PROD', true);
  await createCpuPlugin().init({ threads: 1 });
  train = takeSamples(loadFashionMnist({ split: 'train' }), Array.from({ length: 112 }, (_, i) => i));
});

/** 2 epochs of 7 steps (batch 16); the data() calls the loop made and its epoch events and weights. */
async function run(readEvery: number | undefined, lr = 0.1) {
  const before = tf.memory().numTensors;
  const net = new Net(arch, { seed: 3, normalization: norm });
  const recipe = parseRecipe({ epochs: 2, batchSize: 16, lr, labelSmoothing: 0, ema: 0, augment: { crop: 0, flip: false } });
  const reads = vi.spyOn(tf.Tensor.prototype, 'data');
  const syncReads = vi.spyOn(tf.Tensor.prototype, 'dataSync');
  const events: TrainEvent[] = [];
  try {
    await trainNet(net, { arch, train, recipe, seed: 1, normalization: norm, readEvery }, { emit: (e) => events.push(e) });
    return { reads: reads.mock.calls.length, syncReads: syncReads.mock.calls.length, epochs: events.filter((e) => e.type === 'train/epoch-ended'), weights: net.store.snapshot() };
  } finally {
    reads.mockRestore();
    syncReads.mockRestore();
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
}

const figures = (epochs: TrainEvent[]) => epochs.map((e) => (e.type === 'train/epoch-ended' ? [e.trainLoss, e.trainAccuracy] : []));

describe('trainNet readEvery', () => {
  it('reads once per step by default and once per N steps with readEvery N (+ once at each epoch end), with the same results', async () => {
    const one = await run(undefined);
    const three = await run(3);
    expect(one.syncReads).toBe(0);
    expect(three.syncReads).toBe(0);
    expect(one.reads).toBe(14); // 7 steps × 2 epochs
    expect(three.reads).toBe(2 * Math.ceil(7 / 3)); // reads after steps 3, 6 and at the epoch's end
    expect(figures(three.epochs)).toEqual(figures(one.epochs));
    for (const [k, v] of Object.entries(one.weights)) expect(three.weights[k].data, k).toEqual(v.data);
  });

  it('still stops on a non-finite loss, naming the step it appeared at', async () => {
    await expect(run(4, 1e30)).rejects.toThrow(/training loss became (NaN|Infinity|-Infinity) at epoch 1, step \d/);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// After tfjs-core: imported first, its gradients (Relu6, Cast) read an uninitialised chained-op table.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchDef } from '@fbnet/core';
import { loadFashionMnist, takeSamples, type ImageDataset } from '@fbnet/data';
import { Net } from '@fbnet/nn';
import { parseRecipe, trainNet } from '@fbnet/train';
import { startGpuWorkCounter } from './gpu-work.ts';
import { webgpuPlugin } from './plugin.ts';

tf.env().set('PROD', true);

// Issue 14: nothing in the training loop (@fbnet/train's trainNet, @fbnet/nn's forward and
// backward, the Optimizer) reads back from the GPU per step except the loss read.
const availability = await webgpuPlugin.availability();
const title = availability.available ? `trainNet's GPU read-backs on ${availability.detail}` : `trainNet's GPU read-backs (skipped: ${availability.reason})`;

describe.skipIf(!availability.available)(title, () => {
  const arch: ArchDef = { input_size: 28, input_channels: 1, num_classes: 10, basic_args: { width_divisor: 1 }, blocks: [[['conv_k3', 4, 2, 1]], [['ir_k3', 4, 2, 1, { expansion: 2 }]]] };
  const norm = { mean: [0.286], std: [0.353] };
  let train: ImageDataset;
  beforeAll(async () => {
    await webgpuPlugin.init();
    train = takeSamples(loadFashionMnist({ split: 'train' }), Array.from({ length: 48 }, (_, i) => i));
  });
  afterAll(() => webgpuPlugin.dispose());

  /** 2 epochs of 6 steps (batch 8); the WebGPU calls of the run, after a first run compiled the pipelines. */
  const counted = async (readEvery: number) => {
    const net = new Net(arch, { seed: 3, normalization: norm });
    const recipe = parseRecipe({ epochs: 2, batchSize: 8, lr: 0.05, labelSmoothing: 0, ema: 0, augment: { crop: 0, flip: false } });
    const counter = startGpuWorkCounter(tf.backend());
    try {
      const r = await trainNet(net, { arch, train, recipe, seed: 1, normalization: norm, readEvery }, { emit: () => undefined });
      expect(Number.isFinite(r.trainLoss)).toBe(true);
      return counter.counts();
    } finally {
      counter.stop();
      net.dispose();
    }
  };

  it('one read-back per step (loss and correct count together), or one per N steps with readEvery N', async () => {
    await counted(1); // compiles the pipelines
    const every = await counted(1);
    expect(every).toMatchObject({ gpuReads: 12, mapAsyncs: 12, readSyncs: 0, pipelines: 0 });
    await counted(3); // stacking 3 steps' figures is one more program (compiled once)
    const third = await counted(3);
    expect(third).toMatchObject({ gpuReads: 4, mapAsyncs: 4, readSyncs: 0, pipelines: 0 });
  });
});

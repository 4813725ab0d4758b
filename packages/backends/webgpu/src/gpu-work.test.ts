import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// After tfjs-core: imported first, its gradients (Relu6, Cast) read an uninitialised chained-op table.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy, Net } from '@fbnet/nn';
import { countGpuWork, perStep, startGpuWorkCounter } from './gpu-work.ts';
import { webgpuPlugin } from './plugin.ts';

tf.env().set('PROD', true);

const availability = await webgpuPlugin.availability();
const title = availability.available ? `GPU work of a training step on ${availability.detail}` : `GPU work counts (skipped: ${availability.reason})`;

it('refuses a backend that is not tfjs-backend-webgpu', async () => {
  await tf.setBackend('cpu');
  expect(() => startGpuWorkCounter(tf.backend())).toThrow(/tfjs-backend-webgpu/);
});

describe.skipIf(!availability.available)(title, () => {
  beforeAll(() => webgpuPlugin.init());
  afterAll(() => webgpuPlugin.dispose());

  it('counts what a step does: one read-back (the loss), no pipeline after the first step, buffers reused but for uploads', async () => {
    const net = new Net({ input_size: 8, input_channels: 1, num_classes: 3, blocks: [[['conv_k3', 4, 2, 1]], [['ir_k3', 4, 1, 1, { expansion: 2 }]]] } as never, { seed: 1 });
    const x = tf.randomUniform([2, 8, 8, 1], 0, 255) as tf.Tensor4D;
    const y = tf.tensor1d([0, 2], 'int32');
    const opt = tf.train.momentum(0.01, 0.9);
    const step = async () => {
      const cost = opt.minimize(() => crossEntropy(net.forward(x, { training: true }), y), true, net.trainableVariables())!;
      const v = (await cost.data())[0];
      cost.dispose();
      return v;
    };
    const first = await countGpuWork(tf.backend(), step);
    const second = await countGpuWork(tf.backend(), step);
    const counter = startGpuWorkCounter(tf.backend());
    for (let i = 0; i < 3; i++) await step();
    const three = perStep(counter.counts(), 3);
    counter.stop();
    expect(first.counts.pipelines).toBeGreaterThan(0);
    for (const c of [second.counts, three]) {
      // Pipelines are cached by shader key: none is compiled after the first step.
      expect(c.pipelines).toBe(0);
      // The only host round trip is the loss: one data(), one buffer mapped, no dataSync.
      expect(c).toMatchObject({ gpuReads: 1, mapAsyncs: 1, readSyncs: 0, cachedReads: 0 });
      // One bind group and one uniform upload per program dispatch; every queue write is a uniform.
      expect(c.bindGroups).toBeGreaterThan(0);
      expect(c.uniformWrites).toBe(c.bindGroups);
      expect(c.writeBuffers).toBe(c.uniformWrites);
      // TF.js submits every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches, and once more to read.
      const batch = tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
      expect(c.submits).toBe(Math.floor(c.bindGroups / batch) + c.mapAsyncs);
    }
    // Steps are the same work every time...
    const { buffersCreated: _a, ...steady } = three;
    const { buffersCreated: _b, ...again } = second.counts;
    expect(steady).toEqual(again);
    // ...and once the buffer pool is warm, the only new buffers are the staging buffers of tensors
    // made from host values (scalars TF.js makes of plain numbers), which TF.js never reuses.
    expect(three.uploads).toBeGreaterThan(0);
    expect(three.uploadBytes).toBeGreaterThanOrEqual(4 * three.uploads);
    expect(three.buffersCreated).toBe(three.uploads);
    // Counting leaves no wrapper behind.
    const b = tf.backend() as unknown as { device: object; queue: object };
    for (const [o, m] of [[b.device, 'createComputePipeline'], [b.queue, 'submit'], [b, 'read'], [b, 'uploadToGPU']] as const) {
      expect(Object.prototype.hasOwnProperty.call(o, m), m).toBe(false);
    }
    tf.dispose([x, y]);
    opt.dispose();
    net.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// After tfjs-core: imported first, its gradients (Relu6, Cast) read an uninitialised chained-op table.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convConformanceCases, depthwiseConformanceCases, referenceOutputs } from '@fbnet/backend-common';
import { crossEntropy, Net } from '@fbnet/nn';
import { webgpuPlugin } from './plugin.ts';

tf.env().set('PROD', true);

const availability = await webgpuPlugin.availability();
const title = availability.available ? `webgpu plugin on ${availability.detail}` : `webgpu plugin (skipped: ${availability.reason})`;

it('availability never throws and says why not', () => {
  expect(typeof availability.available).toBe('boolean');
  if (!availability.available) expect(availability.reason.length).toBeGreaterThan(0);
});

describe.skipIf(!availability.available)(title, () => {
  const cases = [...convConformanceCases(), ...depthwiseConformanceCases()];
  const refs: Float32Array[][] = [];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const c of cases) refs.push(await referenceOutputs(c));
    await webgpuPlugin.init();
  });
  afterAll(() => webgpuPlugin.dispose());

  // WGSL compile errors are printed, not thrown: only numbers tell a working kernel.
  it('stock WGSL conv / depthwise kernels (forward and backprop) match the cpu references', async () => {
    const byKernel = new Map<string, { kernel: string; case: string }[]>();
    for (const c of cases) byKernel.set(c.kernel, [...(byKernel.get(c.kernel) ?? []), { kernel: c.kernel, case: c.name }]);
    const results: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const inputs = Object.fromEntries(c.inputs.map((x) => [x.name, tf.tensor(x.data, x.shape)]));
      const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
      const got = (await out.data()) as Float32Array;
      tf.dispose([out, ...Object.values(inputs)]);
      const ref = refs[i][0];
      let d = 0;
      let scale = 1;
      for (let j = 0; j < ref.length; j++) {
        d = Math.max(d, Math.abs(got[j] - ref[j]));
        scale = Math.max(scale, Math.abs(ref[j]));
      }
      if (!(d <= 1e-3 * scale)) results.push(`${c.name}: max |diff| ${d}`);
    }
    expect(results).toEqual([]);
  });

  it('a training step leaves tf.memory().numTensors unchanged', async () => {
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
    const first = await step();
    const before = tf.memory().numTensors;
    await step();
    await step();
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(first)).toBe(true);
    tf.dispose([x, y]);
    opt.dispose();
    net.dispose();
  });
});

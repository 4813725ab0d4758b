import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { FBNET_KERNELS, Rng } from '@fbnet/core';
import { hasChannelScaleKernel } from '@fbnet/nn';
import { DMASKING_KERNELS } from './kernel-names.ts';
import { addMaskedShortcut, maskedShortcutOps } from './masked-shortcut.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** FbnetChannelScale and its gradient as plain JS kernels on the cpu backend (as a backend plugin registers them). */
function withChannelScaleKernels(f: () => void): void {
  type Args = { inputs: Record<string, tf.TensorInfo>; backend: { readSync(id: unknown): unknown; makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo } };
  const kernel = (kernelName: string, fn: (a: Args, arr: (t: tf.TensorInfo) => Float32Array) => tf.TensorInfo | tf.TensorInfo[]) =>
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: ((a: Args) => fn(a, (t) => a.backend.readSync(t.dataId) as Float32Array)) as unknown as tf.KernelFunc });
  kernel(FBNET_KERNELS.ChannelScale, ({ inputs, backend }, arr) => {
    const x = arr(inputs.x), s = arr(inputs.scale);
    return backend.makeTensorInfo(inputs.x.shape, 'float32', x.map((v, i) => v * s[i % s.length]));
  });
  kernel(FBNET_KERNELS.ChannelScaleGrad, ({ inputs, backend }, arr) => {
    const dy = arr(inputs.dy), x = arr(inputs.x), s = arr(inputs.scale);
    const ds = new Float32Array(s.length);
    dy.forEach((v, i) => (ds[i % s.length] += v * x[i]));
    return [backend.makeTensorInfo(inputs.x.shape, 'float32', dy.map((v, i) => v * s[i % s.length])), backend.makeTensorInfo([s.length], 'float32', ds)];
  });
  try {
    f();
  } finally {
    tf.unregisterKernel(FBNET_KERNELS.ChannelScale, 'cpu');
    tf.unregisterKernel(FBNET_KERNELS.ChannelScaleGrad, 'cpu');
  }
}

describe('addMaskedShortcut (y + x̂ ∘ r in one op)', () => {
  const cases = [6, 4].flatMap((cx) => [false, true].flatMap((kernels) => [addMaskedShortcut, maskedShortcutOps].map((op) => [cx, kernels, op] as const)));
  for (const [cx, kernels, op] of cases) {
    const name = `${op === addMaskedShortcut ? 'addMaskedShortcut' : 'maskedShortcutOps'}${kernels ? ' (backend with channel-scaling kernels)' : ''}`;
    it(`${name} equals tf.add(y, tf.mul(pad(x), r)) with its gradients, input of ${cx} channels into 6`, () => (kernels ? withChannelScaleKernels : (g: () => void) => g())(() => {
      expect(hasChannelScaleKernel()).toBe(kernels);
      const rng = new Rng(cx);
      const rand = (shape: number[]) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
      const y = rand([2, 3, 3, 6]) as tf.Tensor4D;
      const x = rand([2, 3, 3, cx]) as tf.Tensor4D;
      const r = rand([6]) as tf.Tensor1D;
      const w = rand([2, 3, 3, 6]);
      const before = tf.memory().numTensors;
      const ref = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(w, tf.add(a, tf.mul(tf.pad(b, [[0, 0], [0, 0], [0, 0], [0, 6 - cx]]), c)))) as tf.Scalar;
      const fused = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(w, op(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D))) as tf.Scalar;
      const gRef = tf.grads(ref)([y, x, r]);
      const gFused = tf.grads(fused)([y, x, r]);
      tf.tidy(() => {
        expect(fused(y, x, r).dataSync()[0]).toBeCloseTo(ref(y, x, r).dataSync()[0], 4);
      });
      gFused.forEach((g, i) => {
        expect(g.shape).toEqual(gRef[i].shape);
        const a = g.dataSync(), b = gRef[i].dataSync();
        for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(b[j], 4);
      });
      tf.dispose([...gRef, ...gFused]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([y, x, r, w]);
    }));
  }
});

describe('addMaskedShortcut on a host backend', () => {
  it('is one kernel each way into a wider block (no slice or pad of an activation), and keeps only x and r for its gradient', async () => {
    const rng = new Rng(3);
    const rand = (shape: number[]) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
    const [y, x, r] = [rand([2, 3, 3, 6]), rand([2, 3, 3, 4]), rand([6])] as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
    const prof = await tf.profile(() => tf.tidy(() => void tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(addMaskedShortcut(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D)))([y, x, r])));
    const names = prof.kernels.map((k) => k.name);
    expect(names).toContain(DMASKING_KERNELS.MaskedShortcut);
    expect(names).toContain(DMASKING_KERNELS.MaskedShortcutGrad);
    expect(names.filter((n) => /Slice|Pad/.test(n))).toEqual([]);
    tf.dispose([y, x, r]);
  });
});

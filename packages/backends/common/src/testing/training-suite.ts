import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FBNET_KERNELS, Rng } from '@fbnet/core';
import type * as Nn from '@fbnet/nn';
import type { TfjsBackendPlugin } from '../plugin-base.ts';
import { maxRelDiff, residentWriteBackChecks, trainingAgainstStock } from './resident.ts';

export interface TrainingSuiteOptions {
  /** `@fbnet/nn` (passed in: backend-common does not depend on it). */
  nn: typeof Nn;
  /** PyTorch's running statistics after one training pass (`packages/nn/fixtures/torch-nn-reference.json`). */
  torchFixtures?: URL | string;
  /** Variants the kernel-pair checks force in turn (default: the native and the JS one). */
  pairVariants?: string[];
}

// A small net with every node kind the reference benchmark net has (stem, dw k3/k5, s1/s2, pw, residual).
const ARCH = {
  input_size: 12,
  input_channels: 1,
  num_classes: 4,
  blocks: [[['conv_k3', 8, 2, 1]], [['ir_k3', 8, 1, 1, { expansion: 1 }]], [['ir_k5', 12, 2, 1, { expansion: 3 }], ['ir_k3', 12, 1, 1, { expansion: 2 }]]],
};

function batch(): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const x = tf.tensor4d(Float32Array.from({ length: 3 * 12 * 12 }, (_, i) => (i * 37) % 255), [3, 12, 12, 1]);
  return { x, y: tf.tensor1d([0, 3, 1], 'int32') };
}

/** Value and gradients of a scalar function of `inputs`, read back; every tensor involved disposed. */
function valueAndGradsOf(f: (...t: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], others: tf.Tensor[]): { value: number; grads: Float32Array[] } {
  const { value, grads } = tf.valueAndGrads(f)(inputs);
  const out = { value: value.dataSync()[0], grads: grads.map((g) => g.dataSync().slice() as Float32Array) };
  tf.dispose([...inputs, ...others, value, ...grads]);
  return out;
}

/**
 * The training tests every plugin with fbnet's training kernels runs (as vitest tests, inside
 * the caller's test file), each against an independent reference: stock tfjs-backend-cpu kernels
 * and stock-op compositions, a central finite difference of the loss, PyTorch fixtures. Stock
 * references are computed on `cpu` with the plugin disposed; the plugin is left disposed.
 */
export function describeTrainingSuite(plugin: TfjsBackendPlugin, o: TrainingSuiteOptions): void {
  const { Net, crossEntropy } = o.nn;
  const pairVariants = o.pairVariants ?? ['native-simd-mt', 'js'];

  async function gradients(net: Nn.Net): Promise<Record<string, Float32Array>> {
    const { x, y } = batch();
    const vars = net.trainableVariables();
    const { grads, value } = tf.variableGrads(() => crossEntropy(net.forward(x, { training: true, updateStats: false }), y), vars);
    const out: Record<string, Float32Array> = {};
    for (const [k, g] of Object.entries(grads)) out[k] = (await g.data()) as Float32Array;
    tf.dispose([x, y, value, ...Object.values(grads)]);
    return out;
  }

  /**
   * A forward/backward kernel pair against the stock composition: `run` on stock tfjs-backend-cpu
   * (where `has()` is false: the op falls back to stock ops), then on the plugin with each of the
   * pair's variants forced: same value and gradients, no tensor left behind.
   */
  async function kernelPairAgainstStock(kernels: [string, string], has: () => boolean, run: () => { value: number; grads: Float32Array[] }): Promise<void> {
    await plugin.dispose();
    await tf.setBackend('cpu');
    expect(has()).toBe(false);
    const want = run();
    await plugin.init();
    expect(has()).toBe(true);
    for (const variant of pairVariants) {
      for (const k of kernels) plugin.forceVariant(k, variant);
      plugin.dispatcher.resetCounts();
      const before = tf.memory().numTensors;
      const got = run();
      expect(tf.memory().numTensors, variant).toBe(before);
      expect(plugin.dispatcher.callCounts()[kernels[1]]?.[variant], variant).toBe(1);
      expect(Math.abs(got.value - want.value), variant).toBeLessThan(1e-4 * Math.max(1, Math.abs(want.value)));
      want.grads.forEach((g, i) => expect(maxRelDiff(got.grads[i], g), `${variant} gradient ${i}`).toBeLessThan(1e-5));
    }
    for (const k of kernels) plugin.forceVariant(k, undefined);
  }

  describe(`training on the ${plugin.id} plugin`, () => {
    beforeAll(async () => {
      await tf.setBackend('cpu');
    });
    afterAll(() => plugin.dispose());

    it('gives the same gradients as stock tfjs-backend-cpu (unfused BN) for a whole net', async () => {
      const net = new Net(ARCH as never, { seed: 3 });
      const stock = await gradients(net);
      await plugin.init();
      plugin.dispatcher.resetCounts();
      const fast = await gradients(net);
      const counts = plugin.dispatcher.callCounts();
      expect(Object.values(counts.Conv2DBackpropFilter ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(Object.values(counts.FbnetBatchNormActGrad ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(Object.keys(fast).sort()).toEqual(Object.keys(stock).sort());
      for (const k of Object.keys(stock)) expect(maxRelDiff(fast[k], stock[k]), k).toBeLessThan(2e-3);
      net.dispose();
    });

    it('a training step leaves tf.memory().numTensors unchanged and lowers the loss', async () => {
      await plugin.init();
      const net = new Net(ARCH as never, { seed: 4 });
      const { x, y } = batch();
      const opt = tf.train.momentum(0.05, 0.9);
      const vars = net.trainableVariables();
      const step = () => {
        const cost = opt.minimize(() => crossEntropy(net.forward(x, { training: true }), y), true, vars)!;
        const v = cost.dataSync()[0];
        cost.dispose();
        return v;
      };
      const first = step();
      const before = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 8; i++) last = step();
      expect(tf.memory().numTensors).toBe(before);
      expect(last).toBeLessThan(first);
      opt.dispose();
      tf.dispose([x, y]);
      net.dispose();
    });

    // PyTorch (float64) reference: after one training-mode pass the running statistics are
    // (1 − 0.1)·initial + 0.1·batch with the unbiased variance. On the plugin they come from the
    // fused BN (mean, invStd) and one FbnetBatchNormRunningStats kernel per BN.
    it.runIf(o.torchFixtures !== undefined)('running statistics after a training pass match PyTorch (fused BN + running-stats kernel)', async () => {
      const fixtures = JSON.parse(readFileSync(o.torchFixtures!, 'utf8'));
      await plugin.init();
      plugin.dispatcher.resetCounts();
      type Fixture = {
        arch: object;
        normalization: object;
        params: Record<string, { shape: number[]; trainable: boolean; data: number[] }>;
        input: { shape: [number, number, number, number]; data: number[] };
        expected: { running: Record<string, number[]> };
      };
      for (const fx of Object.values(fixtures) as Fixture[]) {
        const net = new Net(fx.arch as never, { seed: 1, normalization: fx.normalization as never });
        net.store.restore(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, { ...v, data: Float32Array.from(v.data) }])));
        tf.tidy(() => void net.forward(tf.tensor4d(fx.input.data, fx.input.shape), { training: true }));
        for (const [pname, want] of Object.entries(fx.expected.running)) {
          expect(maxRelDiff(net.store.get(pname).dataSync(), want), pname).toBeLessThan(1e-4);
        }
        net.dispose();
      }
      expect(Object.values(plugin.dispatcher.callCounts()[FBNET_KERNELS.BatchNormRunningStats] ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    });

    // FBNetV1's mixed operation Σ w_i x_i: one FbnetMix kernel forward, one FbnetMixGrad backward,
    // against the stacked-matmul composition on stock tfjs-backend-cpu.
    it('mixed operation: value and gradients w.r.t. every candidate and the weights match the stock composition', async () => {
      const rng = new Rng(21);
      const shape = [3, 5, 5, 7];
      const data = Array.from({ length: 4 }, () => Float32Array.from({ length: 3 * 5 * 5 * 7 }, () => rng.next() * 2 - 1));
      const wData = Float32Array.from([0.1, 0.5, 0.15, 0.25]);
      const probe = Float32Array.from({ length: 3 * 5 * 5 * 7 }, () => rng.next() * 2 - 1);
      await kernelPairAgainstStock([FBNET_KERNELS.Mix, FBNET_KERNELS.MixGrad], o.nn.hasMixKernel, () => {
        const xs = data.map((d) => tf.tensor(d, shape));
        const w = tf.tensor1d(wData);
        const p = tf.tensor(probe, shape);
        const f = (...t: tf.Tensor[]) => tf.sum(tf.mul(o.nn.mixCandidates(t.slice(0, 4), t[4] as tf.Tensor1D), p)) as tf.Scalar;
        return valueAndGradsOf(f, [...xs, w], [p]);
      });
    });

    // FBNetV2's channel masks: x ∘ m as one FbnetChannelScale kernel forward, one
    // FbnetChannelScaleGrad backward, against a broadcast multiply on stock cpu.
    it('channel scaling: value and gradients w.r.t. x and the mask match the stock broadcast multiply', async () => {
      const rng = new Rng(23);
      const shape: [number, number, number, number] = [4, 6, 6, 10];
      const xData = Float32Array.from({ length: 4 * 6 * 6 * 10 }, () => rng.next() * 2 - 1);
      const mData = Float32Array.from({ length: 10 }, () => rng.next());
      const probe = Float32Array.from({ length: 4 * 6 * 6 * 10 }, () => rng.next() * 2 - 1);
      await kernelPairAgainstStock([FBNET_KERNELS.ChannelScale, FBNET_KERNELS.ChannelScaleGrad], o.nn.hasChannelScaleKernel, () => {
        const x = tf.tensor4d(xData, shape);
        const m = tf.tensor1d(mData);
        const p = tf.tensor4d(probe, shape);
        return valueAndGradsOf((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(o.nn.scaleChannels(a as tf.Tensor4D, b as tf.Tensor1D), p)) as tf.Scalar, [x, m], [p]);
      });
    });

    // The native kernels keep copies of the tensors they read and write in their own heap, by
    // data id, and reuse them. A stale copy (a tensor whose data id was reused, a weight read
    // from before an update) would show here as diverging weights over several SGD steps.
    it('several SGD steps give the weights stock TF.js gives, and leave no native copies behind', async () => {
      const { x, y } = batch();
      const r = await trainingAgainstStock(plugin, async () => {
        const net = new Net(ARCH as never, { seed: 6 });
        const opt = tf.train.momentum(0.05, 0.9);
        const vars = net.trainableVariables();
        for (let i = 0; i < 5; i++) tf.dispose(opt.minimize(() => crossEntropy(net.forward(x, { training: true }), y), true, vars)!);
        const w: Record<string, Float32Array> = {};
        for (const v of vars) w[v.name.replace(/_\d+$/, '')] = (await v.data()) as Float32Array;
        opt.dispose();
        net.dispose();
        return w;
      });
      for (const [k, d] of Object.entries(r.diffs)) expect(d, k).toBeLessThan(5e-3);
      expect(r.residentCopies.after).toBe(r.residentCopies.before);
      expect(r.heapBytes.after).toBe(r.heapBytes.before);
      tf.dispose([x, y]);
    });

    it('a native result left in the native heap reads back right through every path (stock and JS kernels, data(), after dispose())', async () => {
      const { checks, pendingSeen } = await residentWriteBackChecks(plugin);
      expect(pendingSeen).toBeGreaterThan(0);
      for (const c of checks) {
        expect(c.got.length, c.name).toBe(c.want.length);
        let d = 0;
        for (let i = 0; i < c.want.length; i++) d = Math.max(d, Math.abs(c.got[i] - c.want[i]));
        expect(d, c.name).toBeLessThan(1e-4);
      }
    });

    // An independent check of every gradient the step relies on (conv, depthwise, fused BN,
    // residual add, global pool, matmul, log-softmax), fused kernels included: the gradient's
    // projection on a random direction against a central difference of the loss along it.
    it('whole-net gradient agrees with a finite difference of the loss along a random direction', async () => {
      await plugin.init();
      const net = new Net(ARCH as never, { seed: 5 });
      const { x, y } = batch();
      const vars = net.trainableVariables();
      const loss = () => crossEntropy(net.forward(x, { training: true, updateStats: false }), y);
      const { grads, value } = tf.variableGrads(loss, vars);
      const rng = new Rng(11);
      const dirs = vars.map((v) => Float32Array.from({ length: v.size }, () => rng.next() * 2 - 1));
      const norm = Math.sqrt(dirs.reduce((a, d) => a + d.reduce((b, e) => b + e * e, 0), 0));
      let gv = 0;
      for (let i = 0; i < vars.length; i++) {
        const g = (await grads[vars[i].name].data()) as Float32Array;
        for (let j = 0; j < g.length; j++) gv += (g[j] * dirs[i][j]) / norm;
      }
      const originals = await Promise.all(vars.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
      const lossAt = async (t: number) => {
        vars.forEach((v, i) => v.assign(tf.tensor(originals[i].map((_, j) => originals[i][j] + (t * dirs[i][j]) / norm), v.shape)));
        const l = loss();
        const r = (await l.data())[0];
        l.dispose();
        return r;
      };
      const eps = 3e-3;
      const fd = ((await lossAt(eps)) - (await lossAt(-eps))) / (2 * eps);
      vars.forEach((v, i) => v.assign(tf.tensor(originals[i], v.shape)));
      expect(Math.abs(fd - gv) / Math.max(Math.abs(gv), 1e-2)).toBeLessThan(0.05);
      tf.dispose([x, y, value, ...Object.values(grads)]);
      net.dispose();
    });
  });
}

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { crossEntropy, Net } from '@fbnet/nn';
import { cpuPlugin } from './plugin.ts';
import { residentWriteBackChecks, trainingAgainstStock } from '@fbnet/backend-common';

tf.env().set('PROD', true);

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

async function gradients(net: Net): Promise<Record<string, Float32Array>> {
  const { x, y } = batch();
  const vars = net.trainableVariables();
  const { grads, value } = tf.variableGrads(() => crossEntropy(net.forward(x, { training: true, updateStats: false }), y), vars);
  const out: Record<string, Float32Array> = {};
  for (const [k, g] of Object.entries(grads)) out[k] = (await g.data()) as Float32Array;
  tf.dispose([x, y, value, ...Object.values(grads)]);
  return out;
}

describe('training on the cpu plugin', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => cpuPlugin.dispose());

  it('gives the same gradients as stock TF.js (stock kernels, unfused BN) for a whole net', async () => {
    const net = new Net(ARCH as never, { seed: 3 });
    const stock = await gradients(net);
    await cpuPlugin.init();
    cpuPlugin.dispatcher.resetCounts();
    const fast = await gradients(net);
    const counts = cpuPlugin.dispatcher.callCounts();
    expect(Object.values(counts.Conv2DBackpropFilter ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Object.values(counts.FbnetBatchNormActGrad ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Object.keys(fast).sort()).toEqual(Object.keys(stock).sort());
    for (const k of Object.keys(stock)) {
      const scale = Math.max(1e-3, ...stock[k].map(Math.abs));
      let d = 0;
      for (let i = 0; i < stock[k].length; i++) d = Math.max(d, Math.abs(stock[k][i] - fast[k][i]));
      expect(d / scale, k).toBeLessThan(2e-3);
    }
    net.dispose();
  });

  it('a training step leaves tf.memory().numTensors unchanged and lowers the loss', async () => {
    await cpuPlugin.init();
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
  // The native kernels keep copies of the tensors they read and write in their own heap, by
  // data id, and reuse them. A stale copy (a tensor whose data id was reused, a weight read
  // from before an update) would show here as diverging weights over several SGD steps.
  it('several SGD steps give the weights stock TF.js gives, and leave no native copies behind', async () => {
    const { x, y } = batch();
    const r = await trainingAgainstStock(cpuPlugin, async () => {
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
    const { checks, pendingSeen } = await residentWriteBackChecks(cpuPlugin);
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
    await cpuPlugin.init();
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
      vars.forEach((v, i) => v.assign(tf.tensor(originals[i].map((o, j) => o + (t * dirs[i][j]) / norm), v.shape)));
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

import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from './loss.ts';
import { Rng } from '@fbnet/core';
import { dropPathRate, Net } from './net.ts';
import { withPathBnStats } from './bn-reestimate.ts';

interface Fixture {
  arch: object;
  normalization: { mean: number[]; std: number[] };
  params: Record<string, { shape: number[]; trainable: boolean; data: number[] }>;
  input: { shape: [number, number, number, number]; data: number[] };
  labels: number[];
  labelSmoothing: number;
  expected: { logitsEval: number[]; logitsTrain: number[]; loss: number; grads: Record<string, number[]>; running: Record<string, number[]> };
}

// Produced by tools/make-nn-fixtures.ts + tools/torch-nn-reference.py (PyTorch, float64).
const fixtures: Record<string, Fixture> = JSON.parse(readFileSync(new URL('../fixtures/torch-nn-reference.json', import.meta.url), 'utf8'));

function load(fx: Fixture): Net {
  const net = new Net(fx.arch as never, { seed: 1, normalization: fx.normalization });
  net.store.restore(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, { ...v, data: Float32Array.from(v.data) }])));
  return net;
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / scale;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(Object.keys(fixtures))('Net vs PyTorch reference: %s', (name) => {
  const fx = fixtures[name];

  it('eval-mode logits match', () => {
    const net = load(fx);
    const logits = tf.tidy(() => net.forward(tf.tensor4d(fx.input.data, fx.input.shape)).dataSync());
    expect(maxRelErr(logits, fx.expected.logitsEval)).toBeLessThan(1e-4);
    net.dispose();
  });

  it('train-mode logits, loss, every gradient and the running statistics match', () => {
    const net = load(fx);
    const x = tf.tensor4d(fx.input.data, fx.input.shape);
    const y = tf.tensor1d(fx.labels, 'int32');
    const vars = net.trainableVariables();
    const { value, grads } = tf.variableGrads(() => {
      const logits = net.forward(x, { training: true });
      expect(maxRelErr(logits.dataSync(), fx.expected.logitsTrain)).toBeLessThan(1e-4);
      return crossEntropy(logits, y, fx.labelSmoothing);
    }, vars);
    expect(value.dataSync()[0]).toBeCloseTo(fx.expected.loss, 5);
    for (const [pname, g] of Object.entries(fx.expected.grads)) {
      const v = net.store.get(pname);
      const got = grads[v.name];
      expect(got, `gradient of ${pname}`).toBeDefined();
      expect(maxRelErr(got.dataSync(), g), `gradient of ${pname}`).toBeLessThan(2e-3);
    }
    for (const [pname, r] of Object.entries(fx.expected.running)) {
      expect(maxRelErr(net.store.get(pname).dataSync(), r), `running stat ${pname}`).toBeLessThan(1e-4);
    }
    tf.dispose([x, y, value, ...Object.values(grads)]);
    net.dispose();
  });
});

describe('Net', () => {
  it('a training step leaves tf.memory().numTensors unchanged', () => {
    const fx = fixtures['all-nodes'];
    const net = load(fx);
    const opt = tf.train.momentum(0.1, 0.9);
    const x = tf.tensor4d(fx.input.data, fx.input.shape);
    const y = tf.tensor1d(fx.labels, 'int32');
    const step = () => {
      const cost = opt.minimize(() => crossEntropy(net.forward(x, { training: true }), y), true, net.trainableVariables());
      cost?.dispose();
    };
    step(); // optimizer slots are created on the first step
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    opt.dispose();
    net.dispose();
  });

  it('refuses an input of the wrong shape with a clear error', () => {
    const net = new Net(fixtures['all-nodes'].arch as never);
    expect(() => tf.tidy(() => net.forward(tf.zeros([1, 8, 8, 2]) as tf.Tensor4D))).toThrow(/expects input \[N,16,16,2\]/);
    net.dispose();
  });

  it('stochastic depth ramps with depth: block i of n drops with rate · i / n', () => {
    expect(dropPathRate(0.2, 0, 5)).toBe(0);
    expect(dropPathRate(0.2, 4, 5)).toBeCloseTo(0.16, 12);
    const fx = fixtures['all-nodes'];
    const net = load(fx);
    const seen: (number | undefined)[] = [];
    for (const b of net.blocks) {
      const f = b.forward.bind(b);
      b.forward = (x, ctx) => (seen.push(ctx.dropPath?.rate), f(x, ctx));
    }
    const rng = new Rng(1);
    tf.tidy(() => net.forward(tf.tensor4d(fx.input.data, fx.input.shape), { training: true, rng, dropPath: { rate: 0.3, rng } }));
    const n = net.blocks.length;
    expect(n).toBeGreaterThan(2);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => (0.3 * i) / n));
    net.dispose();
  });

  it('same seed, same parameters', () => {
    const a = new Net(fixtures['all-nodes'].arch as never, { seed: 3 });
    const b = new Net(fixtures['all-nodes'].arch as never, { seed: 3 });
    const c = new Net(fixtures['all-nodes'].arch as never, { seed: 4 });
    const first = (n: Net) => Array.from(n.store.get('b1.pw.w').dataSync().slice(0, 5));
    expect(first(a)).toEqual(first(b));
    expect(first(a)).not.toEqual(first(c));
    [a, b, c].forEach((n) => n.dispose());
  });
});

describe('BN running statistics', () => {
  it('bnMomentum 1/(k+1) over k passes gives the cumulative average of the batch statistics', () => {
    const arch = { input_size: 8, input_channels: 1, num_classes: 2, blocks: [[['conv_k3', 4, 1, 1]]] };
    const net = new Net(arch as never, { seed: 1 });
    const batches = [0, 1, 2].map((s) => tf.randomUniform([5, 8, 8, 1], 0, 255, 'float32', 10 + s) as tf.Tensor4D);
    batches.forEach((x, k) => tf.tidy(() => net.forward(x, { training: true, bnMomentum: 1 / (k + 1) })));
    // Independent reference: the conv output's per-channel mean for each batch, averaged.
    const w = net.store.get('b0.conv.w') as unknown as tf.Tensor4D;
    const want = tf.tidy(() => {
      const means = batches.map((x) => tf.mean(tf.conv2d(net.normalize(x), w, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]), [0, 1, 2]));
      return tf.div(tf.addN(means), 3).dataSync();
    });
    const got = net.store.get('b0.conv.bn.mean').dataSync();
    for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo(want[i], 4);
    tf.dispose(batches);
    net.dispose();
  });
});

describe('path BN re-estimation', () => {
  it('running statistics become the average of the passes’ batch statistics, then are restored', async () => {
    const fx = fixtures['all-nodes'];
    const net = load(fx);
    const [n, h, w, c] = fx.input.shape;
    const batches = [0, 1, 2].map((k) => tf.tensor4d(fx.input.data.map((v, i) => v * (1 + 0.5 * k) + ((i * (k + 1)) % 7) / 7), [n, h, w, c]));
    const keys = net.store.entries().filter(([k]) => /\.bn\.(mean|var)$/.test(k)).map(([k]) => k);
    const read = () => Object.fromEntries(keys.map((k) => [k, Array.from(net.store.get(k).dataSync())]));
    const original = read();
    // Each batch's own statistics: one pass at momentum 1 sets the running values to them.
    const per = batches.map((x) => {
      tf.tidy(() => net.forward(x, { training: true, bnMomentum: 1 }));
      return read();
    });
    for (const k of keys) net.store.get(k).assign(tf.tensor(original[k], net.store.get(k).shape));
    const pass = (i: number, m: number) => tf.tidy(() => void net.forward(batches[i], { training: true, bnMomentum: m }));
    const before = tf.memory().numTensors;
    const seen = await withPathBnStats(net.store, 3, pass, async () => read());
    expect(tf.memory().numTensors).toBe(before);
    for (const k of keys) {
      const avg = per[0][k].map((_, j) => (per[0][k][j] + per[1][k][j] + per[2][k][j]) / 3);
      expect(maxRelErr(seen[k], avg), k).toBeLessThan(1e-5);
      expect(read()[k]).toEqual(original[k]);
    }
    tf.dispose(batches);
    net.dispose();
  });
});

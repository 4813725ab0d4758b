import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createCpuPlugin } from '@fbnet/backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseArchDef, resolveArch, Rng } from '@fbnet/core';
import { loadFashionMnist, takeSamples, type ImageDataset } from '@fbnet/data';
import { crossEntropy } from '@fbnet/nn';
import { RunDir } from '@fbnet/runs';
import { latencyAwareLoss } from './loss.ts';
import { SupernetSearch } from './search.ts';
import { Supernet } from './supernet.ts';
import { tinyLatency, tinySpace } from './test-space.ts';

const norm = { mean: [0.286], std: [0.353] };
let data: ImageDataset;
let x: tf.Tensor4D;
let y: tf.Tensor1D;

beforeAll(async () => {
  tf.env().set('PROD', true);
  // The cpu plugin: TF.js cpu backend with the fast (native WASM SIMD) training kernels.
  await createCpuPlugin().init({ threads: 2 });
  const full = loadFashionMnist({ split: 'train' });
  data = takeSamples(full, Array.from({ length: 256 }, (_, i) => i * 7));
  x = tf.tensor4d(Float32Array.from(data.images.subarray(0, 8 * 784)), [8, 28, 28, 1]);
  y = tf.tensor1d(Array.from(data.labels.subarray(0, 8)), 'int32');
});

describe('Supernet', () => {
  it('the mixed output is Σ_i m_i b_i(x) of the candidates run one by one (eq. 5)', () => {
    // With the searchable layer last, the head (global mean + linear, Σ m_i = 1) is linear in
    // the layer output, so the supernet's logits must equal Σ_i m_i · logits(path i).
    const space = tinySpace();
    space.stages = space.stages.slice(0, 2);
    const net = new Supernet(space, norm, 1);
    net.thetas[0].assign(tf.tensor1d([0.5, -0.3, 0.1]));
    const mode = { kind: 'gumbel' as const, tau: 1.5, noise: net.sampleNoise(new Rng(2)) };
    const m = tf.tidy(() => Array.from(net.mixWeights(mode)[0].dataSync()));
    const mixed = tf.tidy(() => net.forward(x, mode, { training: false }).logits.dataSync());
    const paths = [0, 1, 2].map((i) => tf.tidy(() => net.forward(x, { kind: 'fixed', ops: [i] }, { training: false }).logits.dataSync()));
    expect(m.every((v) => v > 0.05)).toBe(true);
    for (let j = 0; j < mixed.length; j++) {
      const want = m[0] * paths[0][j] + m[1] * paths[1][j] + m[2] * paths[2][j];
      expect(mixed[j]).toBeCloseTo(want, 4);
    }
    net.dispose();
  });

  it('gradients w.r.t. θ and weights match central finite differences', () => {
    const net = new Supernet(tinySpace(), norm, 3);
    const noise = net.sampleNoise(new Rng(4));
    net.thetas[0].assign(tf.tensor1d([0.3, -0.2, 0.1]));
    net.thetas[1].assign(tf.tensor1d([0.0, 0.25, -0.1]));
    const mode = { kind: 'gumbel' as const, tau: 2, noise };
    const lossFn = () => {
      const f = net.forward(x, mode, { training: true, updateStats: false }, tinyLatency);
      return latencyAwareLoss(crossEntropy(f.logits, y), tf.mul(f.latencyMs, 1000) as tf.Scalar, { alpha: 0.2, beta: 0.6 });
    };
    const wVar = net.store.get('w.l0.k3_e3.pw.w');
    const vars = [...net.thetas, wVar];
    const { grads } = tf.variableGrads(lossFn, vars);
    const evalLoss = () => tf.tidy(() => lossFn().dataSync()[0]);
    const fd = (v: tf.Variable, i: number, eps: number) => {
      const base = v.dataSync().slice();
      const plus = base.slice(); plus[i] += eps;
      const minus = base.slice(); minus[i] -= eps;
      v.assign(tf.tensor(plus, v.shape));
      const lp = evalLoss();
      v.assign(tf.tensor(minus, v.shape));
      const lm = evalLoss();
      v.assign(tf.tensor(base, v.shape));
      return (lp - lm) / (2 * eps);
    };
    for (const t of net.thetas) {
      const g = grads[t.name].dataSync();
      for (let i = 0; i < 3; i++) {
        const num = fd(t, i, 1e-2);
        expect(Math.abs(g[i] - num), `θ ${t.name}[${i}]: ${g[i]} vs ${num}`).toBeLessThan(2e-3 + 0.03 * Math.abs(num));
      }
    }
    const gw = grads[wVar.name].dataSync();
    for (const i of [0, 5, 17]) {
      const num = fd(wVar, i, 1e-2);
      expect(Math.abs(gw[i] - num), `w[${i}]: ${gw[i]} vs ${num}`).toBeLessThan(2e-3 + 0.03 * Math.abs(num));
    }
    tf.dispose(Object.values(grads));
    net.dispose();
  });

  it('expected latency is Σ_l Σ_i m_{l,i} LAT(b_{l,i}) + fixed (eq. 9)', () => {
    const net = new Supernet(tinySpace(), norm, 1);
    const noise = net.sampleNoise(new Rng(5));
    const mode = { kind: 'gumbel' as const, tau: 1, noise };
    const { lat, m } = tf.tidy(() => ({ lat: net.forward(x, mode, { training: false }, tinyLatency).latencyMs.dataSync()[0], m: net.mixWeights(mode).map((t) => Array.from(t.dataSync())) }));
    const want = 0.2 + m[0].reduce((s, mi, i) => s + mi * tinyLatency.layerMs[0][i], 0) + m[1].reduce((s, mi, i) => s + mi * tinyLatency.layerMs[1][i], 0);
    expect(lat).toBeCloseTo(want, 5);
    net.dispose();
  });

  it('a weight step leaves tf.memory().numTensors unchanged', () => {
    const net = new Supernet(tinySpace(), norm, 1);
    const rng = new Rng(1);
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => crossEntropy(net.forward(x, { kind: 'gumbel', tau: 5, noise: net.sampleNoise(rng) }, { training: true }, tinyLatency).logits, y), net.weightVariables());
        for (const v of net.weightVariables()) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.01)));
      });
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});

describe('SupernetSearch', () => {
  const base = () => ({
    space: tinySpace(),
    latency: tinyLatency,
    normalization: norm,
    epochs: 3,
    batchSize: 32,
    stepsPerEpoch: 3,
    warmupEpochs: 1,
    samples: 3,
    bnRecalibrationBatches: 1,
  });

  it('latency pressure moves P_θ away from the slowest candidates and derives a valid arch', async () => {
    const s = new SupernetSearch({ ...base(), data: { weights: takeSamples(data, range(0, 192)), theta: takeSamples(data, range(192, 256)) }, seed: 1, alpha: 5, beta: 1, thetaLr: 0.2, latencyUnit: 'us', tauEnd: 0.5 });
    const types: string[] = [];
    const taus: number[] = [];
    const lats: number[] = [];
    const pTheta: number[][][] = [];
    s.events$.subscribe((e) => {
      types.push(e.type);
      if (e.type === 'supernet/epoch-ended') (taus.push(e.temperature), lats.push(e.latencyMs));
      if (e.type === 'supernet/theta') pTheta.push(e.probs);
    });
    const r = (await s.run())!;
    // τ anneals 5 → 0.5 geometrically over the 3 epochs: 5, √(5·0.5), 0.5.
    expect(taus[0]).toBe(5);
    expect(taus[1]).toBeCloseTo(Math.sqrt(2.5), 10);
    expect(taus[2]).toBeCloseTo(0.5, 10);
    // The logged expected latency is E_{P_θ}[LAT] (eq. 4 probabilities, no temperature).
    pTheta.forEach((probs, e) => {
      const want = 0.2 + probs.reduce((a, row, l) => a + row.reduce((b, p, k) => b + p * tinyLatency.layerMs[l][k], 0), 0);
      expect(lats[e]).toBeCloseTo(want, 10);
    });
    const p = r.thetas.map((t) => Math.exp(t[1]) / t.reduce((a, v) => a + Math.exp(v), 0));
    expect(p[0]).toBeLessThan(1 / 3);
    expect(p[1]).toBeLessThan(1 / 3);
    expect(types.filter((t) => t === 'supernet/epoch-ended')).toHaveLength(3);
    expect(types).toContain('search/arch-derived');
    const derived = resolveArch(parseArchDef(r.derived.arch));
    expect(derived.blocks).toHaveLength(3);
    expect(r.derived.latencyMs).toBeCloseTo(0.2 + tinyLatency.layerMs[0][r.derived.choice.ops[0]] + tinyLatency.layerMs[1][r.derived.choice.ops[1]], 10);
    expect(r.sampled.length).toBeGreaterThan(0);
    for (const a of r.sampled) expect(a.supernetAccuracy).toBeGreaterThanOrEqual(0);
    s.dispose();
  });

  it('resumes after an interruption to exactly the θ and weights of an uninterrupted run', async () => {
    const dataSplit = { weights: takeSamples(data, range(0, 128)), theta: takeSamples(data, range(128, 192)) };
    const a = new SupernetSearch({ ...base(), data: dataSplit, seed: 7 });
    const ra = (await a.run())!;
    const wa = a.supernet.store.snapshot();
    a.dispose();

    const dir = join(mkdtempSync(join(tmpdir(), 'fbnet-supernet-')), 'run');
    const run = RunDir.create(dir, { command: 'search v1', seed: 7, options: {} });
    const b = new SupernetSearch({ ...base(), data: dataSplit, seed: 7, run });
    b.events$.subscribe((e) => e.type === 'supernet/checkpoint-saved' && e.epoch === 2 && b.cancel());
    expect(await b.run()).toBeNull();
    b.dispose();

    const c = new SupernetSearch({ ...base(), data: dataSplit, seed: 7, run: RunDir.open(dir) });
    const rc = (await c.run())!;
    expect(rc.thetas).toEqual(ra.thetas);
    const wc = c.supernet.store.snapshot();
    for (const k of Object.keys(wa)) expect(Array.from(wc[k].data), k).toEqual(Array.from(wa[k].data));
    expect(rc.derived.ops).toEqual(ra.derived.ops);
    c.dispose();
  });
});

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

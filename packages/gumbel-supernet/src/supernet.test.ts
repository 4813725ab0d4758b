import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createCpuPlugin } from '@fbnet/backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertSerializable, parseArchDef, resolveArch, Rng, runStage, stagesSettled, type StageContext } from '@fbnet/core';
import { loadFashionMnist, takeSamples, type ImageDataset, type StageData } from '@fbnet/data';
import { LatencyModel } from '@fbnet/latency-lut';
import { crossEntropy } from '@fbnet/nn';
import { RunDir } from '@fbnet/runs';
import { latencyAwareLoss } from './loss.ts';
import { cancelStageWhen, checkpointDifferences } from './stage-testing.ts';
import { gumbelSupernetStage, type GumbelSupernetInput } from './search.ts';
import { Supernet } from './supernet.ts';
import { tinyLatency, tinySpace } from './test-space.ts';

const tinyModel = LatencyModel.fromLayers(tinyLatency);

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
      const f = net.forward(x, mode, { training: true, updateStats: false }, tinyModel);
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
    const { lat, m } = tf.tidy(() => ({ lat: net.forward(x, mode, { training: false }, tinyModel).latencyMs.dataSync()[0], m: net.mixWeights(mode).map((t) => Array.from(t.dataSync())) }));
    const want = 0.2 + m[0].reduce((s, mi, i) => s + mi * tinyLatency.layerMs[0][i], 0) + m[1].reduce((s, mi, i) => s + mi * tinyLatency.layerMs[1][i], 0);
    expect(lat).toBeCloseTo(want, 5);
    net.dispose();
  });

  it('a weight step leaves tf.memory().numTensors unchanged', () => {
    const net = new Supernet(tinySpace(), norm, 1);
    const rng = new Rng(1);
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => crossEntropy(net.forward(x, { kind: 'gumbel', tau: 5, noise: net.sampleNoise(rng) }, { training: true }, tinyModel).logits, y), net.weightVariables());
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

describe('gumbelSupernetStage', () => {
  const options = { epochs: 3, batchSize: 16, stepsPerEpoch: 6, warmupEpochs: 1, samples: 3, bnRecalibrationBatches: 1 };
  const ctxOf = (run?: RunDir): StageContext<StageData> => ({ seed: 7, backend: { id: 'cpu' }, data: { train: takeSamples(data, range(0, 256)), normalization: norm, source: 'test' }, run, prefix: 'v1.' });
  const input = (): GumbelSupernetInput => ({ space: tinySpace(), latency: tinyLatency, options });
  const newRun = (name: string) => RunDir.create(join(mkdtempSync(join(tmpdir(), 'fbnet-supernet-')), name), { command: 'test', seed: 7, options: {} });

  it('latency pressure moves P_θ away from the slowest candidates and derives a valid arch; events are plain data; steps leak no tensors', async () => {
    const types: string[] = [];
    const taus: number[] = [];
    const lats: number[] = [];
    const pTheta: number[][][] = [];
    const tensorsAtEpochEnd: number[] = [];
    const r = await runStage(
      gumbelSupernetStage({ ...input(), options: { ...options, stepsPerEpoch: 3, batchSize: 16, alpha: 5, beta: 1, thetaLr: 0.5, latencyUnit: 'us', tauEnd: 0.5 } }, { ...ctxOf(), seed: 1 }),
      {
        onEvent: (e) => {
          assertSerializable(e);
          types.push(e.type);
          if (e.type === 'supernet/epoch-ended') (taus.push(e.temperature), lats.push(e.latencyMs), tensorsAtEpochEnd.push(tf.memory().numTensors));
          if (e.type === 'supernet/theta') pTheta.push(e.probs);
        },
      },
    );
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    // τ anneals 5 → 0.5 geometrically over the 3 epochs: 5, √(5·0.5), 0.5.
    expect(taus[0]).toBe(5);
    expect(taus[1]).toBeCloseTo(Math.sqrt(2.5), 10);
    expect(taus[2]).toBeCloseTo(0.5, 10);
    // epochs 2 and 3 both train weights and θ (every optimizer slot exists by then): same tensor count
    expect(tensorsAtEpochEnd[2]).toBe(tensorsAtEpochEnd[1]);
    // The logged expected latency is E_{P_θ}[LAT] (eq. 4 probabilities, no temperature).
    pTheta.forEach((probs, e) => {
      const want = 0.2 + probs.reduce((a, row, l) => a + row.reduce((b, p, k) => b + p * tinyLatency.layerMs[l][k], 0), 0);
      expect(lats[e]).toBeCloseTo(want, 10);
    });
    const p = r.thetas.map((t) => Math.exp(t[1]) / t.reduce((a, v) => a + Math.exp(v), 0));
    expect(p[0]).toBeLessThan(1 / 3);
    expect(p[1]).toBeLessThan(1 / 3);
    expect(types.filter((t) => t === 'supernet/epoch-ended')).toHaveLength(3);
    expect(types[0]).toBe('stage/started');
    expect(types.at(-1)).toBe('stage/result');
    expect(types).toContain('search/arch-derived');
    const derived = resolveArch(parseArchDef(r.derived.arch));
    expect(derived.blocks).toHaveLength(3);
    expect(r.arch).toEqual(parseArchDef({ ...r.derived.arch, name: 'fbnet-v1-1' }));
    expect(r.derived.latencyMs).toBeCloseTo(0.2 + tinyLatency.layerMs[0][r.derived.choice.ops[0]] + tinyLatency.layerMs[1][r.derived.choice.ops[1]], 10);
    expect(r.sampled.length).toBeGreaterThan(0);
    for (const a of r.sampled) expect(a.supernetAccuracy).toBeGreaterThanOrEqual(0);
  });

  it('with constraints it derives the most probable arch that meets them, and samples only such archs', async () => {
    const limits = { maxLatencyMs: 0.75 }; // excludes candidate 1 (3 ms) in either layer
    const r = await runStage(gumbelSupernetStage({ ...input(), options: { ...options, stepsPerEpoch: 2, alpha: 0.01, constraints: limits } }, ctxOf()), {});
    const lat = (ops: number[]) => tinyLatency.fixedMs + ops.reduce((s, o, l) => s + tinyLatency.layerMs[l][o], 0);
    // Brute force over the 9 archs with the run's own θ: the most probable one under the limit.
    const probs = r.thetas.map((t) => t.map((v) => Math.exp(v) / t.reduce((a, w) => a + Math.exp(w), 0)));
    let best = { ops: [0, 0], p: -1 };
    for (const a of [0, 1, 2]) for (const b of [0, 1, 2]) if (lat([a, b]) <= 0.75 && probs[0][a] * probs[1][b] > best.p) best = { ops: [a, b], p: probs[0][a] * probs[1][b] };
    expect(r.derived.choice.ops).toEqual(best.ops);
    expect(r.derived.probability).toBeCloseTo(best.p, 10);
    expect(r.derived.latencyMs).toBeLessThanOrEqual(0.75);
    for (const a of r.sampled) expect(lat(a.choice.ops)).toBeLessThanOrEqual(0.75);
    expect(r.constrained!.limits).toEqual(limits);
    expect(r.constrained!.exact).toBe(true);
    const am = probs.map((row) => row.indexOf(Math.max(...row)));
    expect(r.constrained!.argmax.ops).toEqual(am);
    expect(r.constrained!.argmax.meetsLimits).toBe(lat(am) <= 0.75);
  });

  it('limits no arch of the space can meet are an error before any training', async () => {
    const events: string[] = [];
    await expect(runStage(gumbelSupernetStage({ ...input(), options: { ...options, constraints: { maxLatencyMs: 0.3 } } }, ctxOf()), { onEvent: (e) => events.push(e.type) })).rejects.toThrow(
      /no architecture of the space meets maxLatencyMs 0.3: the cheapest has latencyMs 0.4/,
    );
    expect(events).not.toContain('supernet/epoch-ended');
  });

  it('unsubscribed mid-epoch (weight phase, θ phase, while deriving) and resubscribed, it ends bit-identical to an uninterrupted run', async () => {
    const runA = newRun('a');
    const ra = await runStage(gumbelSupernetStage(input(), ctxOf(runA)));

    const runB = newRun('b');
    const stops: ((e: { type: string } & Record<string, unknown>) => boolean)[] = [
      // epoch 2, weight phase after its 5th of 6 steps
      (e) => e.type === 'stage/progress' && e.phase === 'epoch 2/3 weights' && e.done === 6 + 5,
      // epoch 3, end of the θ phase (before the epoch's end)
      (e) => e.type === 'stage/progress' && e.phase === 'epoch 3/3 θ',
      // after the last epoch's checkpoint, while sampling archs
      (e) => e.type === 'supernet/checkpoint-saved' && e.epoch === 3,
    ];
    const positions: unknown[] = [];
    for (const stop of stops) {
      const tensorsBefore = tf.memory().numTensors;
      await cancelStageWhen(gumbelSupernetStage(input(), ctxOf(RunDir.open(runB.path))), stop);
      await stagesSettled();
      // the cancelled body freed every tensor it made (supernet, optimizer slots, latency model)
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      positions.push(runB.loadCheckpoint<{ epoch: number; at?: { phase: string; batch: number } }>('v1.supernet')!.meta);
    }
    expect(positions).toMatchObject([{ epoch: 1, at: { phase: 'weights', batch: 5 } }, { epoch: 2, at: { phase: 'arch', batch: 3 } }, { epoch: 3 }]);
    const rb = await runStage(gumbelSupernetStage(input(), ctxOf(RunDir.open(runB.path))));
    expect(rb.thetas).toEqual(ra.thetas);
    expect(rb.derived).toEqual(ra.derived);
    expect(rb.sampled).toEqual(ra.sampled);
    expect(rb.arch).toEqual(ra.arch);
    // The last checkpoints (weights, BN statistics, θ, optimizer slots, rng, iterators) are the same bits.
    expect(checkpointDifferences(runA.loadCheckpoint('v1.supernet')!, runB.loadCheckpoint('v1.supernet')!)).toEqual([]);
  });
});


function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

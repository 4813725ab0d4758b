import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, type ArchDef } from '@fbnet/core';
import { AccuracyPredictor, asAccuracy, PredictorNet, type PredictorNetMeta, type PredictorSample } from './predictor.ts';
import type { Checkpoint } from '@fbnet/runs';
import { proxyTargets } from './proxy.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** A synthetic task: accuracy is a smooth function of the arch and recipe encodings, with noise. */
function synthetic(n: number, seed: number): PredictorSample[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const arch = Array.from({ length: 8 }, () => rng.next());
    const recipe = Array.from({ length: 3 }, () => rng.next());
    const size = arch.slice(0, 4).reduce((a, b) => a + b, 0) / 4;
    const lrFit = 1 - 4 * (recipe[0] - 0.6) ** 2;
    const accuracy = 0.5 + 0.25 * size + 0.15 * lrFit - 0.05 * arch[5] * recipe[1] + 0.01 * rng.normal();
    return { arch, recipe, accuracy };
  });
}

const sameValues = (a: Record<string, { data: Float32Array }>, b: Record<string, { data: Float32Array }>) =>
  Object.keys(a).every((k) => a[k].data.every((v, i) => v === b[k].data[i]));

describe('AccuracyPredictor', () => {
  it('training reduces held-out error and ranks held-out candidates (synthetic)', async () => {
    const train = synthetic(240, 1);
    const held = synthetic(40, 2);
    const untrained = new AccuracyPredictor({ archDim: 8, recipeDim: 3, seed: 3 });
    await untrained.fit(train, { frozenEpochs: 0, fineTuneEpochs: 0, batchSize: 32 });
    const before = untrained.evaluate(held);
    untrained.dispose();
    const p = new AccuracyPredictor({ archDim: 8, recipeDim: 3, seed: 3 });
    const report = await p.fit(train, { batchSize: 32 });
    const after = p.evaluate(held);
    expect(report.samples).toBe(240);
    expect(after.rmse).toBeLessThan(before.rmse * 0.5);
    expect(after.kendallTau).toBeGreaterThan(0.6);
    expect(after.kendallTau).toBeGreaterThan(before.kendallTau);
    p.dispose();
  });

  it('ranks on unclipped scores: candidates beyond the data do not tie at 1.0', async () => {
    // Accuracy rises with the arch size up to 0.97 in the data; the two probes lie beyond it.
    const train = synthetic(240, 1).map((s) => ({ ...s, accuracy: 0.72 + 0.25 * (s.arch.slice(0, 4).reduce((a, b) => a + b, 0) / 4) }));
    const probe = (v: number) => [v, v, v, v, 0.5, 0.5, 0.5, 0.5];
    const p = new AccuracyPredictor({ archDim: 8, recipeDim: 3, seed: 3, ensemble: 2 });
    await p.fit(train, { batchSize: 32, targets: 'standardized' });
    const [a, b] = p.predict([probe(2), probe(3)], [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
    expect(a).toBeGreaterThan(1);
    expect(b).toBeGreaterThan(a);
    expect(asAccuracy(b)).toBe(1);
    expect(asAccuracy(-0.2)).toBe(0);
    // Normal-score targets: the map back to accuracy is strictly increasing, so the two still do not tie.
    await p.fit(train, { batchSize: 32 });
    const [c, d] = p.predict([probe(2), probe(3)], [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
    expect(d).toBeGreaterThan(c);
    p.dispose();
  });

  it('the frozen phase leaves the encoder unchanged; fine-tuning changes it', async () => {
    const data = synthetic(30, 4);
    const p = new AccuracyPredictor({ archDim: 8, recipeDim: 3, seed: 5 });
    const enc0 = p.snapshot('encoder.');
    const head0 = p.snapshot('accuracy.');
    await p.fit(data, { frozenEpochs: 5, fineTuneEpochs: 0 });
    expect(sameValues(enc0, p.snapshot('encoder.'))).toBe(true);
    expect(sameValues(head0, p.snapshot('accuracy.'))).toBe(false);
    await p.fit(data, { frozenEpochs: 5, fineTuneEpochs: 5 });
    expect(sameValues(enc0, p.snapshot('encoder.'))).toBe(false);
    p.dispose();
  });

  it('proxy pretraining learns FLOPs/params from shape propagation, and refits start from that encoder', async () => {
    const rng = new Rng(6);
    const sample = () => {
      const c = [4, 8, 12, 16], k = [3, 5], e = [1, 2, 4];
      const x = { c1: rng.int(4), k1: rng.int(2), e1: rng.int(3), c2: rng.int(4), d2: rng.int(3), r: rng.int(3) };
      const arch: ArchDef = {
        input_size: [12, 16, 20][x.r],
        input_channels: 1,
        num_classes: 10,
        basic_args: { width_divisor: 1 },
        blocks: [[['conv_k3', c[x.c1], 2, 1]], [[`ir_k${k[x.k1]}`, c[x.c2] * 2, 2, x.d2 + 1, { expansion: e[x.e1] }]]],
      };
      return { enc: [x.c1 / 3, x.k1, x.e1 / 2, x.c2 / 3, x.d2 / 2, x.r / 2], arch };
    };
    const train = Array.from({ length: 300 }, sample);
    const held = Array.from({ length: 60 }, sample);
    const p = new AccuracyPredictor({ archDim: 6, recipeDim: 2, seed: 7 });
    const r = await p.pretrainProxy(train.map((s) => s.enc), train.map((s) => proxyTargets(s.arch)), { epochs: 60 });
    expect(r.kendallTau).toBeGreaterThan(0.8);
    const pred = p.proxyPredict(held.map((s) => s.enc));
    const truth = held.map((s) => proxyTargets(s.arch));
    const { kendallTauB } = await import('@fbnet/core');
    expect(kendallTauB(pred.map((x) => x[0]), truth.map((x) => x[0]))).toBeGreaterThan(0.8);
    expect(kendallTauB(pred.map((x) => x[1]), truth.map((x) => x[1]))).toBeGreaterThan(0.8);
    const pretrained = p.snapshot('encoder.');
    await p.fit(synthetic(20, 8).map((s) => ({ ...s, arch: s.arch.slice(0, 6), recipe: s.recipe.slice(0, 2) })), { frozenEpochs: 3, fineTuneEpochs: 3 });
    await p.fit(synthetic(20, 9).map((s) => ({ ...s, arch: s.arch.slice(0, 6), recipe: s.recipe.slice(0, 2) })), { frozenEpochs: 3, fineTuneEpochs: 0 });
    expect(sameValues(pretrained, p.snapshot('encoder.'))).toBe(true);
    p.dispose();
  });

  it('round-trips through its checkpoint and leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const data = synthetic(24, 10);
    const p = new AccuracyPredictor({ archDim: 8, recipeDim: 3, seed: 11 });
    await p.pretrainProxy(data.map((s) => s.arch), data.map((s) => [s.arch[0], s.arch[1]]), { epochs: 2 });
    await p.fit(data, { frozenEpochs: 3, fineTuneEpochs: 3 });
    const q = AccuracyPredictor.fromState(structuredClone(p.state()));
    expect(q.predict(data.map((s) => s.arch), data.map((s) => s.recipe))).toEqual(p.predict(data.map((s) => s.arch), data.map((s) => s.recipe)));
    expect(q.proxyPretrained).toBe(true);
    p.dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an ensemble predicts the mean of independently seeded nets that share one proxy pretraining', async () => {
    const data = synthetic(24, 12);
    const arch = data.map((s) => s.arch);
    const recipe = data.map((s) => s.recipe);
    const proxy = data.map((s) => [s.arch[0], s.arch[1]]);
    const fit = { frozenEpochs: 4, fineTuneEpochs: 2 };
    const e = new AccuracyPredictor({ archDim: 8, recipeDim: 3, seed: 20, ensemble: 3 });
    expect(e.size).toBe(3);
    await e.pretrainProxy(arch, proxy, { epochs: 2 });
    await e.fit(data, fit);
    // the same three nets built by hand: seeds 20, 21, 22; pretraining once, adopted by the others
    const nets = [20, 21, 22].map((seed) => new PredictorNet({ archDim: 8, recipeDim: 3, seed }));
    await nets[0].pretrainProxy(arch, proxy, { epochs: 2 });
    for (const n of nets.slice(1)) n.adoptPretrained(nets[0]);
    for (const n of nets) await n.fit(data, fit);
    const each = nets.map((n) => n.predict(arch, recipe));
    const want = arch.map((_, i) => (each[0][i] + each[1][i] + each[2][i]) / 3);
    const got = e.predict(arch, recipe);
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 6));
    // the members differ (different seeds), so the mean is not any one of them
    expect(each[0].some((v, i) => Math.abs(v - each[1][i]) > 1e-4)).toBe(true);
    for (const n of nets) n.dispose();
    e.dispose();
  });

  it('ensemble 1 is the single FBNetV3 predictor; a version-1 checkpoint still loads', async () => {
    const data = synthetic(20, 13);
    const arch = data.map((s) => s.arch);
    const recipe = data.map((s) => s.recipe);
    const one = new AccuracyPredictor({ archDim: 8, recipeDim: 3, seed: 4, ensemble: 1 });
    const net = new PredictorNet({ archDim: 8, recipeDim: 3, seed: 4 });
    await one.fit(data, { frozenEpochs: 3, fineTuneEpochs: 2 });
    await net.fit(data, { frozenEpochs: 3, fineTuneEpochs: 2 });
    expect(one.predict(arch, recipe)).toEqual(net.predict(arch, recipe));
    const old = AccuracyPredictor.fromState(structuredClone(net.state()) as Checkpoint<PredictorNetMeta>);
    expect(old.size).toBe(1);
    expect(old.predict(arch, recipe)).toEqual(net.predict(arch, recipe));
    expect(() => AccuracyPredictor.fromState({ meta: { version: 2, config: one.config, members: [] } as never, tensors: {} })).toThrow(/inconsistent/);
    expect(() => new AccuracyPredictor({ archDim: 8, recipeDim: 3, ensemble: 0 })).toThrow(/ensemble must be a positive integer/);
    for (const p of [one, net, old]) p.dispose();
  });

  it('refuses encodings of the wrong width', async () => {
    const p = new AccuracyPredictor({ archDim: 4, recipeDim: 1 });
    await expect(p.fit([{ arch: [1, 2, 3], recipe: [0], accuracy: 0.5 }, { arch: [1, 2, 3], recipe: [0], accuracy: 0.6 }])).rejects.toThrow(/3 values, expected 4/);
    // Checked before use (a checkpoint saved by a version with another encoding): what differs, or nothing.
    expect(p.inputMismatch({ arch: 4, recipe: 1 })).toBeUndefined();
    expect(p.inputMismatch({ arch: 4, recipe: 2 })).toBe('it takes 4 + 1 inputs, points are encoded as 4 + 2');
    expect(p.inputMismatch({ arch: 3, recipe: 1 })).toBe('it takes 4 + 1 inputs, points are encoded as 3 + 1');
    p.dispose();
  });
});

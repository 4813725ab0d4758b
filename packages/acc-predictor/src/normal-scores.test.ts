import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { AccuracyPredictor, normalQuantile, normalScores, scoreToAccuracy, type PredictorSample } from './predictor.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('normal scores', () => {
  it('normalQuantile matches SciPy norm.ppf', () => {
    // Values from scipy.stats.norm.ppf (SciPy 1.10).
    const ref: [number, number][] = [
      [1e-6, -4.753424308822899], [0.001, -3.090232306167813], [0.01, -2.3263478740408408], [0.02425, -1.972961051311885],
      [0.1, -1.2815515655446004], [0.3, -0.5244005127080409], [0.5, 0], [0.75, 0.6744897501960817], [0.975, 1.959963984540054], [0.999, 3.090232306167813],
    ];
    for (const [p, z] of ref) expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-8 * Math.max(1, Math.abs(z)));
    expect(() => normalQuantile(0)).toThrow(/\(0, 1\)/);
    expect(() => normalQuantile(1)).toThrow(/\(0, 1\)/);
  });

  it('ranks to quantiles, ties share their mean rank, and the map returns the samples', () => {
    const v = [0.7, 0.1, 0.7, 0.9, 0.3];
    const { scores, map } = normalScores(v);
    // Sorted: 0.1 (rank 1), 0.3 (2), 0.7 0.7 (3, 4 → 3.5), 0.9 (5); score = Φ⁻¹((rank − ½) / 5).
    expect(scores[1]).toBeCloseTo(normalQuantile(0.1), 12);
    expect(scores[4]).toBeCloseTo(normalQuantile(0.3), 12);
    expect(scores[0]).toBeCloseTo(normalQuantile(0.6), 12);
    expect(scores[2]).toBe(scores[0]);
    expect(scores[3]).toBeCloseTo(normalQuantile(0.9), 12);
    expect(map.accuracy).toEqual([0.1, 0.3, 0.7, 0.9]);
    v.forEach((x, i) => expect(scoreToAccuracy(map, scores[i])).toBeCloseTo(x, 12));
  });

  it('the map is strictly increasing, also when it extrapolates', () => {
    const { map } = normalScores([0.2, 0.5, 0.55, 0.8, 0.81]);
    const zs = Array.from({ length: 81 }, (_, i) => -4 + i * 0.1);
    const acc = zs.map((z) => scoreToAccuracy(map, z));
    for (let i = 1; i < acc.length; i++) expect(acc[i]).toBeGreaterThan(acc[i - 1]);
    // Beyond the last knot it continues the last segment's slope.
    const [z3, z4] = map.z.slice(3);
    expect(scoreToAccuracy(map, z4 + 1)).toBeCloseTo(0.81 + (0.81 - 0.8) / (z4 - z3), 10);
  });
});

/** Most candidates within a few points of each other, a few at chance (a recipe that does not train). */
function withOutliers(n: number, seed: number): PredictorSample[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const arch = Array.from({ length: 6 }, () => rng.next());
    const recipe = Array.from({ length: 3 }, () => rng.next());
    const broken = recipe[2] < 0.15;
    const accuracy = broken ? 0.1 + 0.02 * rng.next() : 0.75 + 0.04 * (arch[0] + arch[1]) / 2 + 0.003 * rng.normal();
    return { arch, recipe, accuracy };
  });
}

describe('AccuracyPredictor with normal-score targets', () => {
  it('ranks the candidates that train better than standardized targets when a few do not train', async () => {
    const train = withOutliers(80, 1);
    const held = withOutliers(60, 2).filter((s) => s.accuracy > 0.5);
    const tau = async (targets: 'normal-scores' | 'standardized') => {
      const p = new AccuracyPredictor({ archDim: 6, recipeDim: 3, seed: 3, ensemble: 2 });
      await p.fit(train, { targets });
      const m = p.evaluate(held);
      p.dispose();
      return m.kendallTau;
    };
    const ns = await tau('normal-scores');
    const st = await tau('standardized');
    expect(ns).toBeGreaterThan(0.5);
    expect(ns).toBeGreaterThan(st);
  });

  it('predictions are on the accuracy scale, survive the checkpoint, and the spread is the members’ deviation', async () => {
    const before = tf.memory().numTensors;
    const data = withOutliers(30, 4);
    const p = new AccuracyPredictor({ archDim: 6, recipeDim: 3, seed: 5, ensemble: 3 });
    await p.fit(data, { frozenEpochs: 20, fineTuneEpochs: 20 });
    const a = data.map((s) => s.arch), r = data.map((s) => s.recipe);
    const pred = p.predict(a, r);
    for (const x of pred) expect(x).toBeGreaterThan(-0.5), expect(x).toBeLessThan(1.5);
    const q = AccuracyPredictor.fromState(structuredClone(p.state()));
    expect(q.predict(a, r)).toEqual(pred);
    const { mean, std } = p.predictSpread(a, r);
    expect(mean).toEqual(pred);
    // Independently: each member alone, loaded as a single-net (version-1) predictor from its part of the state.
    const st = p.state();
    const alone = st.meta.members.map((meta, i) => {
      const pre = `m${i}:`;
      const tensors = Object.fromEntries(Object.entries(st.tensors).filter(([k]) => k.startsWith(pre)).map(([k, v]) => [k.slice(pre.length), v]));
      const one = AccuracyPredictor.fromState({ meta, tensors });
      const out = one.predict(a, r);
      one.dispose();
      return out;
    });
    a.forEach((_, j) => {
      const xs = alone.map((m) => m[j]);
      const mu = xs.reduce((s, x) => s + x, 0) / xs.length;
      expect(mean[j]).toBeCloseTo(mu, 10);
      expect(std[j]).toBeCloseTo(Math.sqrt(xs.reduce((s, x) => s + (x - mu) ** 2, 0) / xs.length), 10);
    });
    expect(std.some((s) => s > 0)).toBe(true);
    p.dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

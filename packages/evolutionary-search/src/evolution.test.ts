import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { AccuracyPredictor } from '@fbnet/acc-predictor';
import { checkPoint, encodePoint, encodingSizes, getJointSpacePreset, jointDimensions, pointFromUnit, sobolPoints, type JointPoint } from '@fbnet/autotrain';
import { archCost } from '@fbnet/shape-propagation';
import { jointArch } from '@fbnet/autotrain';
import { ConstraintChecker } from './constraints.ts';
import { runEvolution } from './evolution.ts';
import { constrained, crossover, mutate } from './operators.ts';

const space = getJointSpacePreset('fbnet-v3-fmnist');
const dims = jointDimensions(space);
const points = sobolPoints(64, dims.length, { shiftSeed: 9 }).map((u) => pointFromUnit(space, u));
const flops = (p: JointPoint) => archCost(jointArch(space, p)).flops;
const medianFlops = [...points.map(flops)].sort((a, b) => a - b)[32];

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** A stand-in predictor: bigger nets and a mid-range lr score higher (read-only, like the real one). */
const fakePredictor = {
  predict: (arch: number[][], recipe: number[][]) => arch.map((a, i) => a.reduce((s, x) => s + x, 0) / a.length - Math.abs(recipe[i][5] - 0.6)),
} as unknown as AccuracyPredictor;

describe('constraint-respecting variation', () => {
  it('mutation and crossover stay in the space and never hand back a violating candidate', () => {
    const rng = new Rng(1);
    const checker = new ConstraintChecker(space, { maxFlops: medianFlops, maxParams: 40_000 });
    let made = 0, nulls = 0;
    for (let i = 0; i < 300; i++) {
      const a = points[rng.int(64)], b = points[rng.int(64)];
      const m = mutate(space, a, 0.2, rng);
      checkPoint(space, m);
      const c = crossover(space, a, b, rng);
      checkPoint(space, c);
      for (const v of dims.map((d) => d.key)) expect([a[v], b[v]]).toContain(c[v]);
      const child = constrained(() => mutate(space, crossover(space, a, b, rng), 0.3, rng), (p) => checker.ok(p), 10);
      if (child) {
        made++;
        const cost = checker.cost(child);
        expect(cost.flops).toBeLessThanOrEqual(medianFlops);
        expect(cost.params).toBeLessThanOrEqual(40_000);
      } else nulls++;
    }
    expect(made).toBeGreaterThan(50);
    expect(made + nulls).toBe(300);
  });

  it('a latency model bounds candidates too; a latency limit without a model rejects everything', () => {
    const lat = (a: Parameters<typeof archCost>[0]) => archCost(a).flops / 1e6;
    const checker = new ConstraintChecker(space, { maxLatencyMs: medianFlops / 1e6 }, lat);
    for (const p of points) expect(checker.ok(p)).toBe(flops(p) <= medianFlops);
    expect(new ConstraintChecker(space, { maxLatencyMs: 1 }).cost(points[0]).violations).toEqual(['latency constraint without a latency model']);
  });
});

describe('adaptive genetic search', () => {
  it('climbs the predicted score under the constraint, adapts the mutation rate, stops on stagnation', async () => {
    const checker = new ConstraintChecker(space, { maxFlops: medianFlops });
    const gens: { rate: number; improved: boolean; best: number }[] = [];
    const r = await runEvolution({ space, predictor: fakePredictor, checker, initial: points.slice(0, 20), seed: 3, populationSize: 8, childrenPerGeneration: 16, maxGenerations: 60, patience: 5 }, (e) => {
      if (e.type === 'evolution/generation') gens.push({ rate: e.mutationRate, improved: e.improved, best: e.bestScore });
    });
    const initialBest = Math.max(...fakePredictor.predict(points.slice(0, 20).filter((p) => checker.ok(p)).map((p) => encodePoint(space, p).arch), points.slice(0, 20).filter((p) => checker.ok(p)).map((p) => encodePoint(space, p).recipe)));
    expect(r.best.score).toBeGreaterThan(initialBest);
    for (const c of r.population) expect(c.cost.flops).toBeLessThanOrEqual(medianFlops);
    expect(r.generations).toBeLessThan(60);
    expect(gens.slice(-5).every((g) => !g.improved)).toBe(true);
    for (let i = 1; i < gens.length; i++) {
      if (gens[i].improved) expect(gens[i].rate).toBeLessThan(gens[i - 1].rate + 1e-12);
      else expect(gens[i].rate).toBeGreaterThanOrEqual(Math.min(gens[i - 1].rate, 0.5) - 1e-12);
    }
  });

  it('reuses one fitted predictor across constraints: no refit, each result within its own limits', async () => {
    const sizes = encodingSizes(space);
    const p = new AccuracyPredictor({ archDim: sizes.arch, recipeDim: sizes.recipe, seed: 2 });
    const rng = new Rng(4);
    await p.fit(points.map((x) => ({ ...encodePoint(space, x), accuracy: 0.7 + 0.1 * rng.next() })), { frozenEpochs: 3, fineTuneEpochs: 3 });
    const before = p.state();
    const results = [];
    for (const maxFlops of [medianFlops * 2, medianFlops, medianFlops / 2]) {
      const checker = new ConstraintChecker(space, { maxFlops });
      const r = await runEvolution({ space, predictor: p, checker, initial: points, seed: 5, populationSize: 8, childrenPerGeneration: 16, maxGenerations: 8, patience: 3 });
      for (const c of r.population) expect(c.cost.flops).toBeLessThanOrEqual(maxFlops);
      results.push(r);
    }
    const after = p.state();
    for (const k of Object.keys(before.tensors)) expect(Array.from(after.tensors[k].data)).toEqual(Array.from(before.tensors[k].data));
    expect(after.meta.members.map((m) => m.fits)).toEqual(before.meta.members.map((m) => m.fits));
    expect(results[2].best.cost.flops).toBeLessThanOrEqual(medianFlops / 2);
    p.dispose();
  });
});

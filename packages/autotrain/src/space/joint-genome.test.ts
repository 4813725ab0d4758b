import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccuracyPredictor, serializePredictor } from '@fbnet/acc-predictor';
import { Rng, runStage } from '@fbnet/core';
import { ConstraintChecker, constrained, evolutionStage, evolve, predictorFitness } from '@fbnet/evolutionary-search';
import { archCost } from '@fbnet/shape-propagation';
// Through the package index: importing @fbnet/autotrain registers the `joint` genome and the predictor format.
import { checkPoint, encodePoint, encodingSizes, getJointSpacePreset, jointArch, jointDimensions, jointGenome, jointRecipe, pointFromUnit, sobolPoints, type JointPoint } from '../index.ts';

const space = getJointSpacePreset('fbnet-v3-fmnist');
const genome = jointGenome(space);
const dims = jointDimensions(space);
const points = sobolPoints(64, dims.length, { shiftSeed: 9 }).map((u) => pointFromUnit(space, u));
const flops = (p: JointPoint) => archCost(jointArch(space, p)).flops;
const medianFlops = [...points.map(flops)].sort((a, b) => a - b)[32];
const checkerFor = (maxFlops: number) => new ConstraintChecker((p: JointPoint) => jointArch(space, p), { maxFlops });

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('the joint space as a genome', () => {
  it('mutation and crossover stay in the space and constrained variation never hands back a violating candidate', () => {
    const rng = new Rng(1);
    const checker = new ConstraintChecker((p: JointPoint) => jointArch(space, p), { maxFlops: medianFlops, maxParams: 40_000 });
    let made = 0, nulls = 0;
    for (let i = 0; i < 300; i++) {
      const a = points[rng.int(64)], b = points[rng.int(64)];
      const m = genome.mutate(a, 0.2, rng);
      checkPoint(space, m);
      const c = genome.crossover(a, b, rng);
      checkPoint(space, c);
      for (const v of dims.map((d) => d.key)) expect([a[v], b[v]]).toContain(c[v]);
      const child = constrained(() => genome.mutate(genome.crossover(a, b, rng), 0.3, rng), (p) => checker.ok(p), 10);
      if (child) {
        made++;
        const cost = checker.cost(child);
        expect(cost.flops).toBeLessThanOrEqual(medianFlops);
        expect(cost.params).toBeLessThanOrEqual(40_000);
      } else nulls++;
    }
    expect(made).toBeGreaterThan(50);
    expect(made + nulls).toBe(300);
    const p = genome.sample(new Rng(2));
    checkPoint(space, p);
    expect(genome.recipe!(p)).toEqual(jointRecipe(space, p));
    expect(genome.encode!(p)).toEqual(encodePoint(space, p));
  });

  it('one fitted predictor scores evolutions under several constraints: no refit, each result within its limits', async () => {
    const sizes = encodingSizes(space);
    const p = new AccuracyPredictor({ archDim: sizes.arch, recipeDim: sizes.recipe, seed: 2, ensemble: 2 });
    const rng = new Rng(4);
    await p.fit(points.map((x) => ({ ...encodePoint(space, x), accuracy: 0.7 + 0.1 * rng.next() })), { frozenEpochs: 3, fineTuneEpochs: 3 });
    const before = p.state();
    const fitness = predictorFitness(genome, p);
    const results = [];
    for (const maxFlops of [medianFlops * 2, medianFlops, medianFlops / 2]) {
      const r = (await evolve({ genome, fitness, checker: checkerFor(maxFlops), initial: points, seed: 5, populationSize: 8, childrenPerGeneration: 16, maxGenerations: 8, patience: 3 }))!;
      for (const c of r.population) expect(c.cost.flops).toBeLessThanOrEqual(maxFlops);
      results.push(r);
    }
    const after = p.state();
    for (const k of Object.keys(before.tensors)) expect(Array.from(after.tensors[k].data)).toEqual(Array.from(before.tensors[k].data));
    expect(results[2].best.cost.flops).toBeLessThanOrEqual(medianFlops / 2);

    // The same search as a stage, from plain data: the serialized predictor gives the same ranking, plus the best arch and recipe.
    const staged = await runStage(
      evolutionStage(
        { space: { kind: 'joint', space }, fitness: { kind: 'predictor', predictor: serializePredictor(p) }, constraints: { maxFlops: medianFlops }, initial: points, options: { populationSize: 8, childrenPerGeneration: 16, maxGenerations: 8, patience: 3 } },
        { seed: 5, backend: { id: 'cpu' } },
      ),
    );
    expect(staged.population).toEqual(results[1].population);
    expect(staged.arch).toEqual(jointArch(space, staged.best.point as JointPoint));
    expect(staged.recipe).toEqual(jointRecipe(space, staged.best.point as JointPoint));
    p.dispose();
  });
});

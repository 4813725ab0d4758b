import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { deserializePredictor } from '@fbnet/acc-predictor';
import { archFromChoice, assertSerializable, FbnetError, getSearchSpacePreset, parseSearchSpace, Rng, runStage, searchLayers, stagesSettled, type ArchChoice, type EventBase, type StageContext } from '@fbnet/core';
import { archSpaceGenome, evolutionStage, loadPredictorFn, predictorFitness } from '@fbnet/evolutionary-search';
import { parseRecipe } from '@fbnet/train';
import '../index.ts'; // registers the accuracy predictor's format with the evolution
import { Sobol } from '../sobol/sobol.ts';
import { getJointSpacePreset } from '../space/presets.ts';
import { archSlots, choiceToPoint, pointToChoice } from '../space/arch-point.ts';
import { SMALL_COARSE_RUN, stageTestContext } from './_stage-test-support.ts';
import { coarseSearchStage, type CoarseSearchInput, type CoarseStageResult } from './coarse-search.ts';
import { archCoarseSpace } from './coarse-space.ts';

const timeless = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'seconds' ? undefined : v)));

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const v1 = getSearchSpacePreset('fbnet-v1-fmnist');
const v2 = getSearchSpacePreset('fbnet-v2-fmnist');
const recipe = { epochs: 3, batchSize: 32, lr: 0.05, augment: { crop: 0, flip: false } };

describe('archCoarseSpace (a core SearchSpace for the coarse machinery)', () => {
  it('points round-trip with ArchChoice (V1: one candidate index per searchable layer; V2: channels, expansions, resolution too)', () => {
    const rng = new Rng(3);
    for (const space of [v1, v2]) {
      for (let i = 0; i < 50; i++) {
        const c = archSpaceGenome(space).sample(rng);
        const p = choiceToPoint(space, c);
        expect(pointToChoice(space, p)).toEqual(c);
        expect(JSON.parse(JSON.stringify(p))).toEqual(p);
      }
    }
    const layers = searchLayers(v1).length;
    const p = choiceToPoint(v1, { ops: Array.from({ length: layers }, (_, i) => i % 9) });
    expect(Object.keys(p)).toEqual(Array.from({ length: layers }, (_, i) => `ops.${i}`));
    expect(p['ops.3']).toBe(3);
    expect(() => pointToChoice(v1, { ...p, 'ops.0': 9 })).toThrow(/ops\.0 = 9 is not an option index 0\.\.8/);
    expect(() => pointToChoice(v1, { ...p, 'ops.1': 1.5 })).toThrow(FbnetError);
    expect(() => pointToChoice(v1, { ...p, 'recipe.lr': 0.1 })).toThrow(/unknown key "recipe\.lr"/);
    const { 'ops.2': _drop, ...missing } = p;
    expect(() => pointToChoice(v1, missing)).toThrow(/lacks "ops\.2"/);
    expect(() => choiceToPoint(v1, { ops: [0, 1] })).toThrow(/ops needs 7 entries/);
    expect(() => choiceToPoint(v2, { ops: new Array(layers).fill(0) })).toThrow(/channels needs 7 entries/);
  });

  it('encodes exactly as archSpaceGenome(space).encode (the evolution’s predictor input), with no recipe part', () => {
    const rng = new Rng(5);
    for (const space of [v1, v2]) {
      const cs = archCoarseSpace(space, recipe);
      const g = archSpaceGenome(space);
      for (let i = 0; i < 40; i++) {
        const c = g.sample(rng);
        const e = cs.encode(choiceToPoint(space, c));
        expect(e).toEqual(g.encode!(c));
        expect(e.arch).toHaveLength(cs.encodingSizes.arch);
        expect(e.recipe).toEqual([]);
      }
      expect(cs.encodingSizes.recipe).toBe(0);
    }
    // V1: one-hot of 9 candidates per searchable layer.
    expect(archCoarseSpace(v1, recipe).encodingSizes.arch).toBe(searchLayers(v1).length * 9);
  });

  it('fromUnit: one QMC coordinate per slot with options, equal cells, and a Sobol sequence reaches every candidate of every layer', () => {
    const cs = archCoarseSpace(v1, recipe);
    const layers = searchLayers(v1);
    expect(cs.dimensions).toBe(layers.length);
    for (let k = 0; k < 9; k++) {
      const p = cs.fromUnit(layers.map(() => (k + 0.5) / 9));
      expect(pointToChoice(v1, p).ops).toEqual(layers.map(() => k));
    }
    expect(pointToChoice(v1, cs.fromUnit(layers.map(() => 0.999999999))).ops).toEqual(layers.map(() => 8));
    expect(() => cs.fromUnit([0.5])).toThrow(/needs 7 coordinates/);
    const sobol = new Sobol(cs.dimensions, { shiftSeed: 1, index: 1 });
    const hit = layers.map(() => new Set<number>());
    for (let i = 0; i < 128; i++) pointToChoice(v1, cs.fromUnit(sobol.next())).ops.forEach((o, l) => hit[l].add(o));
    for (const h of hit) expect([...h].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // V2: fixed slots (one option) are no coordinate; the rest are.
    const cs2 = archCoarseSpace(v2, recipe);
    expect(cs2.dimensions).toBe(archSlots(v2).filter((s) => s.options > 1).length);
    const p2 = cs2.fromUnit(new Array(cs2.dimensions).fill(0.999));
    const c2 = pointToChoice(v2, p2);
    expect(c2.resolution).toBe(2);
    expect(c2.channels).toEqual(searchLayers(v2).map((l) => l.channels!.length - 1));
    expect(c2.expansions).toEqual(searchLayers(v2).map(() => 2));
  });

  it('a job trains the point’s arch with the fixed recipe, the budget’s epochs of its schedule; ids tell points apart', () => {
    const cs = archCoarseSpace(v1, recipe);
    const data = { source: 'fashion-mnist' as const, trainImages: 100, valImages: 50, seed: 1 };
    const c: ArchChoice = { ops: [8, 0, 3, 7, 1, 2, 5] };
    const p = choiceToPoint(v1, c);
    const j = cs.job(p, { seed: 2, data, budget: 2 });
    expect(j.arch).toEqual(archFromChoice(v1, c));
    expect(j.arch.blocks.flat().map((b) => b[0])).toEqual(['conv_k3', 'skip', 'ir_k3', 'ir_k3', 'ir_k5', 'ir_k3_g2', 'ir_k3', 'ir_k5_g2']);
    expect(j.recipe).toEqual(parseRecipe(recipe));
    expect(j.epochs).toBe(2);
    expect(cs.job(p, { seed: 2, data }).epochs).toBe(3);
    expect(cs.arch(p)).toEqual(j.arch);
    expect(cs.recipe(p)).toEqual(j.recipe);
    expect(cs.job({ ...p }, { seed: 2, data, budget: 2 }).id).toBe(j.id);
    expect(cs.job({ ...p, 'ops.0': 7 }, { seed: 2, data, budget: 2 }).id).not.toBe(j.id);
    // Another recipe is another space: its candidates are other jobs.
    expect(archCoarseSpace(v1, { ...recipe, lr: 0.1 }).job(p, { seed: 2, data, budget: 2 }).id).not.toBe(j.id);
    expect(cs.proxyTargets(p)).toHaveLength(2);
    expect(cs.archVaries).toBe(true);
  });
});

/** A few-hundred-FLOP layer-wise space: trains in milliseconds. */
const tiny = parseSearchSpace({
  version: 1,
  name: 'tiny-layerwise',
  input_size: 8,
  input_channels: 1,
  num_classes: 10,
  candidates: { k3: { op: 'ir_k3', kwargs: { expansion: 1 } }, k5: { op: 'ir_k5', kwargs: { expansion: 2 } }, skip: { op: 'skip' } },
  stages: [[{ fixed: ['conv_k3', 4, 2, 1] }], [{ searchable: { c: 8, s: 2, n: 2, candidates: ['k3', 'k5', 'skip'] } }], [{ searchable: { c: 8, s: 1, n: 1, candidates: ['k3', 'k5'] } }]],
});
const input = (): CoarseSearchInput => ({
  archSpace: tiny,
  recipe: { epochs: 3, batchSize: 32, lr: 0.05, augment: { crop: 0, flip: false } },
  ...SMALL_COARSE_RUN,
  proxy: { samples: 12, epochs: 5 },
  fit: { frozenEpochs: 5, fineTuneEpochs: 5 },
  perIteration: 2,
  poolSize: 8,
});
const ctxFor = (): StageContext => stageTestContext(4, 'arch-coarse');

describe('coarseSearchStage over a layer-wise space (archSpace)', () => {
  let first: CoarseStageResult;

  it('runs the coarse machinery over the space; its predictor is the fitness of an evolution over { kind: "arch", space }', async () => {
    const before = tf.memory().numTensors;
    const events: EventBase[] = [];
    first = await runStage(coarseSearchStage(input(), ctxFor()), {
      onEvent: (e) => {
        assertSerializable(e);
        events.push(e);
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    const started = events.find((e) => e.type === 'autotrain/started') as EventBase & { space: string; dimensions: number };
    expect(started.space).toMatch(/^arch:tiny-layerwise:/);
    expect(started.dimensions).toBe(3);
    expect(first.samples).toHaveLength(4 + 2 * 2);
    const cs = archCoarseSpace(tiny, input().recipe!);
    const jobs = events.filter((e) => e.type === 'queue/job-started').map((e) => (e as EventBase & { jobId: string }).jobId);
    for (const s of first.samples) {
      const c = pointToChoice(tiny, s.point);
      expect(choiceToPoint(tiny, c)).toEqual(s.point);
      expect(jobs).toContain(cs.job(s.point, { seed: 4, data: input().data, ...(s.iteration === 0 ? {} : { budget: first.budget }) }).id);
    }
    expect(first.samples.filter((s) => s.iteration === 0).every((s) => s.curve.length === 3)).toBe(true);
    expect(new Set(first.samples.map((s) => JSON.stringify(s.point))).size).toBe(8);

    // The fitted predictor, loaded as the evolution loads it, scores ArchChoices as it scores the coarse points.
    const choices = first.samples.map((s) => pointToChoice(tiny, s.point));
    const fn = predictorFitness(archSpaceGenome(tiny), loadPredictorFn(first.acquisition));
    const viaEvolution = fn.score(choices);
    fn.dispose?.();
    const p = deserializePredictor(first.acquisition);
    const enc = first.samples.map((s) => cs.encode(s.point));
    expect(viaEvolution).toEqual(p.predict(enc.map((e) => e.arch), enc.map((e) => e.recipe)));
    p.dispose();
    const evo = await runStage(
      evolutionStage({ space: { kind: 'arch', space: tiny }, fitness: { kind: 'predictor', predictor: first.acquisition }, initial: choices, options: { populationSize: 4, childrenPerGeneration: 6, maxGenerations: 3, patience: 2 } }, { seed: 1, backend: { id: 'cpu' } }),
    );
    expect(evo.arch).toEqual(archFromChoice(tiny, evo.best.point as ArchChoice));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('unsubscribing mid-iteration keeps the checkpoint; the same stage resumes to the same result', async () => {
    const ctx = ctxFor();
    let afterFirstIteration = false;
    await new Promise<void>((resolve) => {
      const sub = coarseSearchStage(input(), ctx).subscribe((e) => {
        if (e.type === 'autotrain/iteration-ended') afterFirstIteration = true;
        if (afterFirstIteration && e.type === 'queue/job-started') {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    await stagesSettled();
    await new Promise((r) => setTimeout(r, 300));
    let resumedAt: string | null = null;
    const started: string[] = [];
    const r = await runStage(coarseSearchStage(input(), ctx), {
      onEvent: (e) => {
        if (e.type === 'autotrain/started') resumedAt = (e as EventBase & { resumedAt: string | null }).resumedAt;
        if (e.type === 'queue/job-started') started.push((e as EventBase & { jobId: string }).jobId);
      },
    });
    expect(resumedAt).toBe('iterations@1');
    expect(started).toHaveLength(2);
    expect(timeless(r)).toEqual(timeless(first));
  });

  it('refuses both spaces, neither, or a layer-wise space without a recipe', async () => {
    const { archSpace: _a, recipe: _r, ...settings } = input();
    const fail = (i: CoarseSearchInput) => runStage(coarseSearchStage(i, { seed: 1, backend: { id: 'cpu' } })).then(() => null, (e: FbnetError) => e);
    expect((await fail(settings))?.message).toMatch(/either a joint space \(space\) or a layer-wise one \(archSpace\)/);
    expect((await fail({ ...settings, space: getJointSpacePreset('fbnet-v3-tiny'), archSpace: tiny, recipe: input().recipe }))?.message).toMatch(/either a joint space/);
    expect((await fail({ ...settings, archSpace: tiny }))?.message).toMatch(/needs the recipe/);
  });
});

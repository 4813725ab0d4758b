import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archFromChoice, getSearchSpacePreset, Rng, runStage, sampleChoice, type ArchChoice, type ArchDef } from '@fbnet/core';
import { archCoarseSpace, choiceToPoint } from '@fbnet/autotrain';
import { RunDir } from '@fbnet/runs';
import { deserializePredictor, type SerializedPredictor } from '@fbnet/acc-predictor';
import { archSpaceGenome } from '@fbnet/evolutionary-search';
import { PIPELINE_STAGES, type PipelineStage, type StageEnv } from './catalog.ts';
import { checkPipeline } from './check.ts';
import { parsePipeline, readPipelineFile } from './schema.ts';
import './stages.ts';

const tmp = mkdtempSync(join(tmpdir(), 'fbnet-over-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const check = (stages: Record<string, unknown>[], preset: 'smoke' | 'quick' | 'full' = 'quick') => checkPipeline(parsePipeline({ preset, stages }));

describe('autotrain and evolutionary-search over the layer-wise space (over: "space")', () => {
  it('pipelines/v1-space-predictor.json: the coarse stage consumes the space; the evolution its predictor, candidates, the space and the table; only an arch comes out', () => {
    const file = readPipelineFile(new URL('../../../pipelines/v1-space-predictor.json', import.meta.url).pathname);
    for (const preset of ['smoke', 'quick', 'full'] as const) {
      const c = checkPipeline({ ...file, preset });
      expect(c[1].inputs).toEqual({ space: -1, 'latency-table': 0 });
      expect(c[1].produces).toEqual(['candidates', 'predictor']);
      expect(c[2].inputs).toEqual({ predictor: 1, candidates: 1, space: -1, 'latency-table': 0 });
      expect(c[2].produces).toEqual(['arch']);
      expect(c[3].inputs).toEqual({ arch: 2 });
    }
  });

  it('defaults: autotrain over the joint space; evolution over joint with the predictor, over the space with a cost', () => {
    const c = check([{ stage: 'autotrain' }, { stage: 'evolutionary-search' }, { stage: 'evolutionary-search', fitness: 'flops' }]);
    expect(c[0].inputs).toEqual({});
    expect(c[1].inputs).toEqual({ predictor: 0, candidates: 0 });
    expect(c[1].produces).toEqual(['arch', 'recipe']);
    expect(c[2].inputs).toEqual({ space: -1 });
    expect(c[2].produces).toEqual(['arch']);
  });

  it('refuses options that do not fit the space searched, before any work', () => {
    expect(() => check([{ stage: 'autotrain', over: 'space', mode: 'recipe' }])).toThrow(/stage 1 "autotrain": invalid options: .*not a recipe search/);
    expect(() => check([{ stage: 'autotrain', over: 'space', space: 'fbnet-v3-tiny' }])).toThrow(/stage 1 "autotrain": invalid options: .*joint-space preset/);
    expect(() => check([{ stage: 'autotrain', epochs: 4 }])).toThrow(/epochs applies to over: "space"/);
    expect(() => check([{ stage: 'autotrain' }, { stage: 'evolutionary-search', over: 'joint', fitness: 'flops' }])).toThrow(/over: "joint" needs fitness "predictor"/);
    expect(() => check([{ stage: 'latency-lut' }, { stage: 'autotrain' }, { stage: 'evolutionary-search', latencyBudget: 0.3 }])).toThrow(/latencyBudget applies to the layer-wise space/);
    expect(() => check([{ stage: 'evolutionary-search', over: 'space', fitness: 'predictor' }])).toThrow(/stage 1 "evolutionary-search" needs an accuracy predictor \(predictor\)/);
    expect(() => check([{ stage: 'autotrain', over: 'space' }, { stage: 'evolutionary-search', over: 'space', latencyBudget: 0.4 }])).toThrow(/needs a latency table/);
  });

  it('acc-predictor decodes a layer-wise candidates file; the evolution over the space maximizes that predictor from those candidates; mismatched spaces are refused', { timeout: 120_000 }, async () => {
    const run = RunDir.create(join(tmp, 'run'), { command: 'run', seed: 2, options: {} });
    const space = getSearchSpacePreset('fbnet-v1-fmnist');
    const recipe = { epochs: 3, batchSize: 32, lr: 0.05 };
    // Scored candidates as an `autotrain` over: "space" writes them (test scores: more skips, lower accuracy).
    const rng = new Rng(7);
    const samples = Array.from({ length: 40 }, () => {
      const choice = sampleChoice(space, rng);
      const point = choiceToPoint(space, choice);
      return { point, choice, accuracy: 0.9 - 0.05 * choice.ops.filter((o) => o === 8).length, iteration: 0 };
    });
    run.writeJson('candidates.json', { kind: 'arch', space, recipe, budget: 2, samples });
    const env = (index: number, prefix = ''): StageEnv => ({ preset: 'smoke', ctx: { seed: 2, backend: { id: 'cpu' }, run, prefix } as StageEnv['ctx'], index, family: 'v3', file: (n) => run.file(n) });
    const stage = (name: string) => PIPELINE_STAGES.get(name) as unknown as PipelineStage;
    const candidates = { from: 'autotrain', count: samples.length, path: 'candidates.json' };

    const fitOptions = stage('acc-predictor').options.parse({});
    const fitted = await runStage(stage('acc-predictor').start({ candidates }, fitOptions, env(1)));
    const predictor = stage('acc-predictor').collect(fitted, fitOptions, env(1), {}).predictor!;
    const serialized = run.readJson<SerializedPredictor>(predictor.path)!;
    expect(serialized.meta.config.archDim).toBe(archCoarseSpace(space, recipe).encodingSizes.arch);
    expect(serialized.meta.config.recipeDim).toBe(0);

    const evoStage = stage('evolutionary-search');
    const evoOptions = evoStage.options.parse({ fitness: 'predictor', over: 'space', maxGenerations: 3 });
    const evo = (await runStage(evoStage.start({ space, predictor, candidates }, evoOptions, env(2)))) as { best: { point: ArchChoice; score: number }; population: { point: ArchChoice }[]; arch: ArchDef };
    expect(evo.arch.blocks).toEqual(archFromChoice(space, evo.best.point).blocks);
    const p = deserializePredictor(serialized);
    const enc = (c: ArchChoice) => archSpaceGenome(space).encode!(c);
    expect(p.predict([enc(evo.best.point).arch], [[]])[0]).toBeCloseTo(evo.best.score, 5);
    // Seeded from the candidates: the best predicted of them is no better than the best found.
    const candScores = p.predict(samples.map((x) => enc(x.choice).arch), samples.map(() => []));
    expect(evo.best.score).toBeGreaterThanOrEqual(Math.max(...candScores) - 1e-9);
    p.dispose();
    expect(Object.keys(evoStage.collect(evo as never, evoOptions, env(2), {}))).toEqual(['arch']);

    const started = (f: () => ReturnType<PipelineStage['start']>) => Promise.resolve().then(() => runStage(f()));
    // A joint candidates file, another space, or a predictor of another encoding: refused, naming why.
    run.writeJson('joint.json', { kind: 'joint', space: 'fbnet-v3-tiny', budget: 1, samples: [] });
    await expect(started(() => evoStage.start({ space, predictor, candidates: { ...candidates, path: 'joint.json' } }, evoOptions, env(2, 'b-')))).rejects.toThrow(/needs candidates of a layer-wise space; joint\.json holds points of the joint space fbnet-v3-tiny/);
    const v2 = getSearchSpacePreset('fbnet-v2-fmnist');
    await expect(started(() => evoStage.start({ space: v2, predictor }, evoOptions, env(2, 'c-')))).rejects.toThrow(/the predictor in .* reads 63 \+ 0 inputs; the space fbnet-v2-fmnist encodes to/);
    await expect(started(() => evoStage.start({ space: { ...space, name: 'other' }, predictor, candidates }, evoOptions, env(2, 'd-')))).rejects.toThrow(/not of the space this stage searches \(other\)/);
    run.close();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseArchDef, runStage, stagesSettled, type ArchDef, type EventBase, type StageContext } from '@fbnet/core';
import { parseRecipe } from '@fbnet/train';
import { InProcessQueue } from '../queue/in-process.ts';
import { jointRecipe } from '../space/joint-space.ts';
import { getJointSpacePreset } from '../space/presets.ts';
import { stageTestContext } from './_stage-test-support.ts';
import { recipeSearchStage, type RecipeSearchInput, type RecipeSearchResult } from './recipe-search.ts';

/** A result without the candidates' training times (wall clock: they differ between two runs of the same candidates). */
const timeless = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'seconds' ? undefined : v)));

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const space = getJointSpacePreset('fbnet-v3-tiny');
/** A fixed arch from elsewhere (not a point of the joint space): a small V1-style net. */
const arch: ArchDef = parseArchDef({
  name: 'fixed',
  input_size: 12,
  input_channels: 1,
  num_classes: 10,
  basic_args: { width_divisor: 1 },
  blocks: [[['conv_k3_relu', 8, 2, 1]], [['ir_k3_relu', 8, 1, 1, { expansion: 2 }]], [['conv_k1_relu', 16, 1, 1]]],
});
const input = (queue?: InProcessQueue): RecipeSearchInput => ({
  arch,
  space,
  data: { source: 'fashion-mnist', trainImages: 100, valImages: 50, seed: 2 },
  ...(queue ? { queue } : {}),
  fit: { frozenEpochs: 5, fineTuneEpochs: 5 },
  earlyStop: { candidates: 3, threshold: 0.5 },
  iterations: 1,
  perIteration: 2,
  poolSize: 8,
});
const ctxFor = (): StageContext => stageTestContext(3, 'recipe');

describe('recipeSearchStage (a recipe for a fixed arch)', () => {
  let whole: RecipeSearchResult;

  it('searches the recipe dimensions only, for the given arch: best measured recipe as plain data', async () => {
    const before = tf.memory().numTensors;
    const archs = new Set<string>();
    const queue = new InProcessQueue();
    const submit = queue.submit.bind(queue);
    queue.submit = (jobs) => {
      for (const j of jobs) archs.add(JSON.stringify(j.arch));
      return submit(jobs);
    };
    whole = await runStage(recipeSearchStage(input(queue), ctxFor()));
    expect(tf.memory().numTensors).toBe(before);
    expect(JSON.parse(JSON.stringify(whole))).toEqual(whole);
    expect([...archs]).toEqual([JSON.stringify(arch)]);
    expect(whole.candidates).toHaveLength(3 + 2);
    for (const c of whole.candidates) expect(Object.keys(c.point).every((k) => k.startsWith('recipe.'))).toBe(true);
    expect(new Set(whole.candidates.map((c) => JSON.stringify(c.point))).size).toBe(5);
    expect(whole.accuracy).toBe(Math.max(...whole.candidates.map((c) => c.accuracy)));
    expect(whole.recipe).toEqual(parseRecipe(jointRecipe(space, whole.point)));
    expect(whole.arch).toEqual(arch);
    expect(whole.predictor.n).toBe(2);
  });

  it('unsubscribing stops it and keeps the checkpoint; the same stage resumes to the same result', async () => {
    const ctx = ctxFor();
    await new Promise<void>((resolve) => {
      const sub = recipeSearchStage(input(), ctx).subscribe((e) => {
        if (e.type === 'autotrain/early-stop-chosen') {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    await stagesSettled();
    const trained: string[] = [];
    const r = await runStage(recipeSearchStage(input(), ctx), { onEvent: (e: EventBase) => e.type === 'queue/job-completed' && !(e as EventBase & { cached: boolean }).cached && trained.push(e.type) });
    // The early-stopping set is not trained again (its results are in the run), the noise ceiling and the iteration are.
    expect(trained).toHaveLength(3 + 2);
    expect(timeless(r)).toEqual(timeless(whole));
  });
});

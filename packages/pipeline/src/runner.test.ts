import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, takeWhile, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { archFromChoice, defineStage, getSearchSpacePreset, runStage, sampleChoice, Rng, stagesSettled, type FbnetError } from '@fbnet/core';
import type { StageData } from '@fbnet/data';
import { RunDir } from '@fbnet/runs';
import { registerPipelineStage, type ArtifactBag } from './catalog.ts';
import { checkPipeline } from './check.ts';
import { pipelineStage } from './runner.ts';
import { parsePipeline } from './schema.ts';

const tmp = mkdtempSync(join(tmpdir(), 'fbnet-pipeline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const SPACE = getSearchSpacePreset('fbnet-v1-fmnist');
const TEST_ARCH = archFromChoice(SPACE, sampleChoice(SPACE, new Rng(1)));
const tick = () => new Promise<void>((r) => setImmediate(r));

/** Counts `steps` steps, one per tick, checkpointing its position on cancel; the count ends up in `recipe.epochs`. */
const counted = { steps: 0 };
const countStage = defineStage<{ steps: number; name: string }, { n: number }>('t-count', async ({ steps, name }, ctx, io) => {
  let i = ctx.run?.loadCheckpoint<{ i: number }>(`${ctx.prefix ?? ''}${name}`)?.meta.i ?? 0;
  for (; i < steps; i++) {
    if (io.signal.aborted) {
      ctx.run?.saveCheckpoint(`${ctx.prefix ?? ''}${name}`, { meta: { i }, tensors: {} });
      return { n: -1 };
    }
    counted.steps++;
    io.progress('counting', i + 1, steps);
    await tick();
  }
  return { n: i };
});

registerPipelineStage({
  name: 't-recipe',
  summary: 'test: makes a recipe by counting',
  options: z.object({ steps: z.number().int().positive().default(3) }).strict(),
  consumes: () => [{ kind: 'space' }],
  produces: () => ['recipe'],
  start: (_a, o, env) => countStage({ steps: o.steps, name: `count-${env.index}` }, env.ctx),
  collect: (r) => ({ recipe: { epochs: r.n } }),
  summarize: (r) => ({ n: r.n }),
});
const seen: ArtifactBag[] = [];
registerPipelineStage({
  name: 't-weights',
  summary: 'test: needs a recipe, makes weights',
  options: z.object({ arch: z.boolean().default(false) }).strict(),
  consumes: (o) => [{ kind: 'recipe' }, ...(o.arch ? [{ kind: 'arch' as const }] : []), { kind: 'latency-table', optional: true }],
  produces: () => ['weights'],
  start: (a, _o, env) => {
    seen.push(a);
    return countStage({ steps: 2, name: `count-${env.index}` }, env.ctx);
  },
  collect: (r, _o, env) => ({ weights: { path: `w-${env.index}.ckpt`, arch: TEST_ARCH, epochs: r.n, testAccuracy: 0.5 } }),
});

function tinyData(): StageData {
  const n = 20;
  const ds = { images: new Uint8Array(n * 4), labels: new Uint8Array(n).map((_, i) => i % 2), count: n, height: 2, width: 2, channels: 1, classNames: ['a', 'b'] };
  return { train: ds, normalization: { mean: [0.5], std: [0.25] }, source: 'test' };
}

describe('pipeline type check', () => {
  it('refuses an unknown stage, bad options and a missing input before any work, naming the stages', () => {
    const p = (stages: unknown[]) => parsePipeline({ preset: 'smoke', stages });
    expect(() => checkPipeline(p([{ stage: 'nope' }]))).toThrow(/stage 1 "nope": unknown stage; known: .*t-recipe/);
    expect(() => checkPipeline(p([{ stage: 't-recipe', steps: 0 }]))).toThrow(/stage 1 "t-recipe": invalid options: steps/);
    expect(() => checkPipeline(p([{ stage: 't-recipe', typo: 1 }]))).toThrow(/stage 1 "t-recipe": invalid options/);
    expect(() => checkPipeline(p([{ stage: 't-weights' }, { stage: 't-recipe' }]))).toThrow(
      /stage 1 "t-weights" needs a training recipe \(recipe\), and no earlier stage produces it; stage 2 "t-recipe" produces it but comes after/,
    );
    const err = (() => {
      try {
        checkPipeline(p([{ stage: 't-recipe' }, { stage: 't-weights', arch: true }]));
      } catch (e) {
        return e as FbnetError;
      }
    })();
    expect(err?.code).toBe('USAGE');
    expect(err?.message).toMatch(/stage 2 "t-weights" needs an arch \(arch\)/);
  });
  it('takes each input from the nearest earlier producer', () => {
    const c = checkPipeline(parsePipeline({ stages: [{ stage: 't-recipe' }, { stage: 't-recipe' }, { stage: 't-weights' }] }));
    expect(c[2].inputs).toEqual({ recipe: 1 });
  });
  it('refuses a malformed pipeline file', () => {
    expect(() => parsePipeline({ stages: [] }, 'p.json')).toThrow(/invalid pipeline p.json: stages/);
    expect(() => parsePipeline({ stages: [{ stage: 't-recipe' }], preset: 'huge' })).toThrow(/preset/);
    expect(() => parsePipeline({ stages: [{ stage: 't-recipe' }], extra: 1 })).toThrow(/extra/);
  });
});

describe('pipeline runner', () => {
  it('runs the chain, passes artifacts, records every stage; a rerun skips finished stages', async () => {
    const run = RunDir.create(join(tmp, 'a'), { command: 'run', seed: 1, options: {} });
    const pipeline = parsePipeline({ name: 't', preset: 'smoke', stages: [{ stage: 't-recipe', steps: 4 }, { stage: 't-recipe', steps: 2 }, { stage: 't-weights' }] });
    seen.length = 0;
    const r = await runStage(pipelineStage({ pipeline, data: tinyData() }, { seed: 1, backend: { id: 'cpu' }, run }));
    expect(r.stages.map((s) => [s.stage, s.produced])).toEqual([['t-recipe', ['recipe']], ['t-recipe', ['recipe']], ['t-weights', ['weights']]]);
    expect(r.stages[0].summary).toEqual({ n: 4 });
    expect(seen[0].recipe).toEqual({ epochs: 2 });
    expect(r.testAccuracy).toBe(0.5);
    const before = counted.steps;
    const again = await runStage(pipelineStage({ pipeline, data: tinyData() }, { seed: 1, backend: { id: 'cpu' }, run }));
    expect(counted.steps).toBe(before);
    expect(again.stages).toEqual(r.stages);
    run.close();
  });
  it('unsubscribing stops the running stage; a rerun resumes it from its checkpoint', async () => {
    const run = RunDir.create(join(tmp, 'b'), { command: 'run', seed: 1, options: {} });
    const pipeline = parsePipeline({ preset: 'smoke', stages: [{ stage: 't-recipe', steps: 3 }, { stage: 't-recipe', steps: 50 }, { stage: 't-weights' }] });
    const start = counted.steps;
    // Take events until stage 2 has made 5 steps of progress, then unsubscribe.
    let stage2 = 0;
    const evs = await lastValueFrom(
      pipelineStage({ pipeline, data: tinyData() }, { seed: 1, backend: { id: 'cpu' }, run }).pipe(
        takeWhile((e) => !(e.type === 'stage/progress' && (e as { total: number }).total === 50 && ++stage2 === 5), true),
        toArray(),
      ),
    );
    expect(evs.some((e) => (e as { type: string }).type === 'stage/result')).toBe(false);
    await stagesSettled();
    const afterCancel = counted.steps;
    expect(afterCancel - start).toBeLessThanOrEqual(3 + 6);
    await tick();
    expect(counted.steps).toBe(afterCancel);
    const r = await runStage(pipelineStage({ pipeline, data: tinyData() }, { seed: 1, backend: { id: 'cpu' }, run }));
    expect(r.stages[1].summary).toEqual({ n: 50 });
    // Stage 1 was not redone; stage 2 made only its remaining steps; stage 3 its 2.
    expect(counted.steps - start).toBe(3 + 50 + 2);
    run.close();
  });
});

describe('a space carried over to other data', () => {
  it('scales V2 input resolutions with the image size', async () => {
    const { scaledResolutions } = await import('./data-space.ts');
    expect(scaledResolutions([20, 24, 28], 28, 12)).toEqual([9, 10, 12]);
    expect(scaledResolutions([20, 24, 28], 28, 56)).toEqual([40, 48, 56]);
    expect(scaledResolutions([14, 28], 28, 2)).toEqual([1, 2]);
  });
});

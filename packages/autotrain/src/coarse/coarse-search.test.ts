import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccuracyPredictor, deserializePredictor } from '@fbnet/acc-predictor';
import { assertSerializable, runStage, stagesSettled, type EventBase, type StageContext } from '@fbnet/core';
import { RunDir } from '@fbnet/runs';
import { getJointSpacePreset } from '../space/presets.ts';
import { encodePoint, encodingSizes } from '../space/joint-space.ts';
import { SMALL_COARSE_RUN, stageTestContext } from './_stage-test-support.ts';
import { coarseSearchStage, type CoarseSearchInput, type CoarseStageResult } from './coarse-search.ts';
import { CoarseSearch } from './coarse-search-class.ts';
import { InProcessQueue } from '../queue/in-process.ts';

/** A result without the candidates' training times (wall clock: they differ between two runs of the same candidates). */
const timeless = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'seconds' ? undefined : v)));

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const space = getJointSpacePreset('fbnet-v3-tiny');
const input = (): CoarseSearchInput => ({
  space,
  ...SMALL_COARSE_RUN,
  proxy: { samples: 150, epochs: 15 },
  fit: { frozenEpochs: 10, fineTuneEpochs: 10 },
  perIteration: 3,
  poolSize: 20,
});
const ctxFor = (): StageContext => stageTestContext(4, 'coarse');

describe('coarseSearchStage (FBNetV3 coarse stage)', () => {
  let first: CoarseStageResult;

  it('pretrains the proxy head, picks an early-stopping budget, iterates predictor-guided picks; no tensor left behind', async () => {
    const before = tf.memory().numTensors;
    const ctx = ctxFor();
    const events: EventBase[] = [];
    first = await runStage(coarseSearchStage(input(), ctx), {
      onEvent: (e) => {
        assertSerializable(e);
        events.push(e);
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('stage/started');
    expect(types.at(-1)).toBe('stage/result');
    expect(types.indexOf('predictor/proxy-pretrained')).toBeLessThan(types.indexOf('autotrain/early-stop-chosen'));
    const decision = events.find((e) => e.type === 'autotrain/early-stop-chosen') as EventBase & { candidates: number };
    expect(decision.candidates).toBe(4);
    expect(first.samples).toHaveLength(4 + 2 * 3);
    expect(first.samples.filter((s) => s.iteration === 0).every((s) => s.curve.length >= 2)).toBe(true);
    expect(first.samples.filter((s) => s.iteration > 0).every((s) => s.predicted !== undefined && s.curve.length === first.budget)).toBe(true);
    expect(new Set(first.samples.map((s) => s.id)).size).toBe(10);
    expect(events.filter((e) => e.type === 'predictor/fitted')).toHaveLength(3);
    expect(first.predictor.n).toBe(6);
    expect(types.at(-2)).toBe('autotrain/completed');
    expect((ctx.run as RunDir).checkpoints()).toContain('predictor');
    // Noise ceiling: the early-stopping set retrained at the budget with another seed.
    const s2s = first.seedToSeed!;
    expect(s2s.n).toBe(4);
    expect(s2s.budget).toBe(first.budget);
    expect(s2s.pairs.map((p) => p[0])).toEqual(first.samples.filter((x) => x.iteration === 0).map((x) => x.accuracy));
    expect(s2s.pairs.some(([a, b]) => a !== b)).toBe(true);
    expect(types.indexOf('autotrain/noise-ceiling-measured')).toBeLessThan(types.indexOf('predictor/fitted'));
    expect(events.filter((e) => e.type === 'queue/job-started')).toHaveLength(4 + 4 + 2 * 3);
    expect(events.some((e) => e.type === 'stage/progress')).toBe(true);
    // The result carries the fitted predictor as plain JSON: it predicts what the run's checkpoint does.
    const p = deserializePredictor(first.acquisition);
    const q = ctx.run!.loadCheckpoint('predictor');
    expect(q).toBeDefined();
    const enc = first.samples.map((s) => encodePoint(space, s.point));
    const pred = p.predict(enc.map((e) => e.arch), enc.map((e) => e.recipe));
    p.dispose();
    const { AccuracyPredictor } = await import('@fbnet/acc-predictor');
    const fromCkpt = AccuracyPredictor.load(ctx.run!)!;
    expect(fromCkpt.predict(enc.map((e) => e.arch), enc.map((e) => e.recipe))).toEqual(pred);
    fromCkpt.dispose();
  });

  it('unsubscribing mid-candidate stops it and keeps the checkpoint; the same stage resumes without retraining finished candidates, to the same result', async () => {
    const before = tf.memory().numTensors;
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
    // The candidate being trained stops at its next step; give it that step, then nothing is left.
    await new Promise((r) => setTimeout(r, 500));
    expect(tf.memory().numTensors).toBe(before);
    const started: string[] = [];
    let resumedAt: string | null = null;
    const r = await runStage(coarseSearchStage(input(), ctx), {
      onEvent: (e) => {
        if (e.type === 'queue/job-started') started.push((e as EventBase & { jobId: string }).jobId);
        if (e.type === 'autotrain/started') resumedAt = (e as EventBase & { resumedAt: string | null }).resumedAt;
      },
    });
    expect(resumedAt).toBe('iterations@1');
    expect(started).toHaveLength(3);
    expect(timeless(r)).toEqual(timeless(first));
  });

  it('resuming with a predictor checkpoint of another encoding width rebuilds it from the stored candidates: none trained again', async () => {
    const ctx = ctxFor();
    const done = await runStage(coarseSearchStage(input(), ctx), {});
    const sizes = encodingSizes(space);
    // What an older version (a narrower recipe encoding) left in the run.
    const old = new AccuracyPredictor({ archDim: sizes.arch, recipeDim: sizes.recipe - 4, seed: 1 });
    old.save(ctx.run!, 'predictor');
    old.dispose();
    const before = tf.memory().numTensors;
    const started: string[] = [];
    const rebuilt: { reason: string; samples: number }[] = [];
    const r = await runStage(coarseSearchStage(input(), ctx), {
      onEvent: (e) => {
        if (e.type === 'queue/job-started') started.push((e as EventBase & { jobId: string }).jobId);
        if (e.type === 'predictor/rebuilt') rebuilt.push(e as EventBase & { reason: string; samples: number });
      },
    });
    expect(started).toEqual([]);
    expect(rebuilt).toHaveLength(1);
    expect(rebuilt[0].reason).toMatch(new RegExp(`takes ${sizes.arch} \\+ ${sizes.recipe - 4} inputs, points are encoded as ${sizes.arch} \\+ ${sizes.recipe}`));
    expect(rebuilt[0].samples).toBe(done.samples.length);
    expect(timeless(r.samples)).toEqual(timeless(done.samples));
    const p = deserializePredictor(r.acquisition);
    expect(p.config.recipeDim).toBe(sizes.recipe);
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the CoarseSearch wrapper (queue object, acceptance function) runs the same stage: the same result, the predictor in memory; cancel() resolves to null', async () => {
    const before = tf.memory().numTensors;
    const { queue: _q, space: _s, ...settings } = input();
    const s = new CoarseSearch({ ...settings, space, seed: 4, queue: new InProcessQueue(), accept: () => true });
    const types: string[] = [];
    s.events$.subscribe((e) => types.push(e.type));
    const r = await s.run();
    const { acquisition, ...rest } = first;
    expect(timeless(r)).toEqual(timeless(rest));
    expect(types).toContain('autotrain/completed');
    const enc = first.samples.map((x) => encodePoint(space, x.point));
    const p = deserializePredictor(acquisition);
    expect(s.predictor.predict(enc.map((e) => e.arch), enc.map((e) => e.recipe))).toEqual(p.predict(enc.map((e) => e.arch), enc.map((e) => e.recipe)));
    p.dispose();
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const c = new CoarseSearch({ ...settings, space, seed: 4, queue: new InProcessQueue() });
    c.events$.subscribe((e) => e.type === 'predictor/proxy-pretrained' && c.cancel());
    expect(await c.run()).toBeNull();
    await stagesSettled();
  });
});

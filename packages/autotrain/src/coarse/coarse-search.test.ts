import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertSerializable } from '@fbnet/core';
import { RunDir } from '@fbnet/runs';
import { InProcessQueue } from '../queue/in-process.ts';
import { getJointSpacePreset } from '../space/presets.ts';
import { CoarseSearch, type CoarseSearchOptions } from './coarse-search.ts';
import type { CoarseEvent } from './events.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const options = (run?: RunDir): CoarseSearchOptions => ({
  space: getJointSpacePreset('fbnet-v3-tiny'),
  data: { source: 'fashion-mnist', trainImages: 100, valImages: 50, seed: 2 },
  seed: 4,
  queue: new InProcessQueue(),
  run,
  proxy: { samples: 150, epochs: 15 },
  fit: { frozenEpochs: 10, fineTuneEpochs: 10 },
  earlyStop: { candidates: 4, threshold: 0.5 },
  iterations: 2,
  perIteration: 3,
  poolSize: 20,
});

describe('CoarseSearch (FBNetV3 coarse stage)', () => {
  let first: Awaited<ReturnType<CoarseSearch['run']>>;
  let dir: string;

  it('pretrains the proxy head, picks an early-stopping budget, iterates predictor-guided picks', async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'fbnet-coarse-')), 'run');
    const run = RunDir.create(dir, { command: 'test', seed: 4, options: {} });
    const search = new CoarseSearch(options(run));
    const events: CoarseEvent[] = [];
    search.events$.subscribe((e) => {
      assertSerializable(e);
      events.push(e);
    });
    first = await search.run();
    search.dispose();
    expect(first).not.toBeNull();
    const types = events.map((e) => e.type);
    expect(types.indexOf('predictor/proxy-pretrained')).toBeLessThan(types.indexOf('autotrain/early-stop-chosen'));
    const decision = events.find((e) => e.type === 'autotrain/early-stop-chosen')!;
    expect(decision.type === 'autotrain/early-stop-chosen' && decision.candidates).toBe(4);
    expect(first!.samples).toHaveLength(4 + 2 * 3);
    expect(first!.samples.filter((s) => s.iteration === 0).every((s) => s.curve.length >= 2)).toBe(true);
    expect(first!.samples.filter((s) => s.iteration > 0).every((s) => s.predicted !== undefined && s.curve.length === first!.budget)).toBe(true);
    expect(new Set(first!.samples.map((s) => s.id)).size).toBe(10);
    expect(events.filter((e) => e.type === 'predictor/fitted')).toHaveLength(3);
    expect(first!.predictor.n).toBe(6);
    expect(types.at(-1)).toBe('autotrain/completed');
    expect(run.checkpoints()).toContain('predictor');
    // Noise ceiling: the early-stopping set retrained at the budget with another seed.
    const s2s = first!.seedToSeed!;
    expect(s2s.n).toBe(4);
    expect(s2s.budget).toBe(first!.budget);
    expect(s2s.pairs.map((p) => p[0])).toEqual(first!.samples.filter((x) => x.iteration === 0).map((x) => x.accuracy));
    expect(s2s.pairs.some(([a, b]) => a !== b)).toBe(true);
    expect(s2s.meanAbsDiff).toBeCloseTo(s2s.pairs.reduce((a, [x, y]) => a + Math.abs(x - y), 0) / 4, 12);
    const ceiling = events.find((e) => e.type === 'autotrain/noise-ceiling-measured');
    expect(ceiling && ceiling.type === 'autotrain/noise-ceiling-measured' && ceiling.kendallTau).toBe(s2s.kendallTau);
    expect(types.indexOf('autotrain/noise-ceiling-measured')).toBeLessThan(types.indexOf('predictor/fitted'));
    expect(events.filter((e) => e.type === 'queue/job-started')).toHaveLength(4 + 4 + 2 * 3);
  });

  it('resumes after a cancel without retraining finished candidates, to the same result', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'fbnet-coarse-')), 'run');
    const run = RunDir.create(d, { command: 'test', seed: 4, options: {} });
    const a = new CoarseSearch(options(run));
    a.events$.subscribe((e) => e.type === 'autotrain/iteration-ended' && e.iteration === 1 && a.cancel());
    expect(await a.run()).toBeNull();
    a.dispose();
    const b = new CoarseSearch(options(RunDir.open(d)));
    const started: string[] = [];
    b.events$.subscribe((e) => {
      if (e.type === 'queue/job-started') started.push(e.jobId);
      if (e.type === 'autotrain/started') expect(e.resumedAt).toBe('iterations@1');
    });
    const r = await b.run();
    b.dispose();
    expect(started).toHaveLength(3);
    expect(r!.samples.map((s) => [s.id, s.accuracy])).toEqual(first!.samples.map((s) => [s.id, s.accuracy]));
  });
});

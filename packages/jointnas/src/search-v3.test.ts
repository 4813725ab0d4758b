import { existsSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertSerializable, FbnetError, runStage, stagesSettled, type EventBase } from '@fbnet/core';
import { encodeIdx, FASHION_MNIST_FILES } from '@fbnet/data';
import { RunDir } from '@fbnet/runs';
import { getJointSpacePreset, JOINT_SPACE_PRESETS, jointArch, jointRecipe, parseJointSpace, withDefaultRecipe, type JointPoint } from '@fbnet/autotrain';
import { SEARCH_V3_PRESETS } from './presets.ts';
import { searchV3 } from './search-v3.ts';
import { jointnasStage } from './stage.ts';
import { stockCpu } from './testing.ts';

beforeAll(() => {
  tf.env().set('PROD', true);
});

describe('searchV3 (tiny end to end)', () => {
  it('coarse → fine → final training → export, resumable; the result meets the constraints', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'fbnet-v3-')), 'run');
    const run = RunDir.create(dir, { command: 'search v3', seed: 1, options: { preset: 'smoke' } });
    const events: EventBase[] = [];
    const lines: string[] = [];
    const ctx = {
      backend: stockCpu,
      log: (e: EventBase) => {
        assertSerializable(e);
        events.push(e);
        run.appendEvent(e);
      },
      info: (l: string) => lines.push(l),
    };
    const preset = SEARCH_V3_PRESETS.smoke;
    const r = await searchV3(run, ctx, { preset, presetName: 'smoke' });
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.testAccuracy).toBeLessThanOrEqual(1);
    expect(r.flops).toBeLessThanOrEqual(preset.constraints.maxFlops!);
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(r.backend).toBe('cpu');
    expect(r.candidatesTrained).toBeGreaterThan(preset.earlyStop.candidates + preset.iterations * preset.perIteration);
    expect(r.candidatesTrained).toBeLessThanOrEqual(preset.earlyStop.candidates + preset.iterations * preset.perIteration + preset.verify + preset.confirm!);
    expect(['coarse', 'verified']).toContain(r.chosenFrom);
    // How often the predictor's proposals were kept: recomputed here from fine.json and coarse.json.
    type Confirmed = { point: JointPoint; source: string; first: number; again?: number; mean: number };
    const fineFile = JSON.parse(readFileSync(run.file('fine.json'), 'utf8')) as { verified: { accuracy: number }[]; predictorKept: { proposals: number; kept: number; bestCoarse: number }; confirmed: Confirmed[] };
    const coarseBest = Math.max(...(JSON.parse(readFileSync(run.file('coarse.json'), 'utf8')) as { samples: { accuracy: number }[] }).samples.map((x) => x.accuracy));
    expect(r.predictorKept).toEqual({ proposals: fineFile.verified.length, kept: fineFile.verified.filter((v) => v.accuracy >= coarseBest).length });
    // Confirmation: the smoke preset's 2 best single scores (coarse and verified) were trained again
    // with another seed; the pick is the best mean of two, recomputed here from the stored scores.
    const coarseScores = (JSON.parse(readFileSync(run.file('coarse.json'), 'utf8')) as { samples: { accuracy: number }[] }).samples.map((x) => x.accuracy);
    const singles = [...coarseScores, ...fineFile.verified.map((v) => v.accuracy)].sort((a, b) => b - a);
    expect(fineFile.confirmed.map((c) => c.first)).toEqual(singles.slice(0, preset.confirm));
    for (const c of fineFile.confirmed) expect(c.mean).toBeCloseTo((c.first + c.again!) / 2, 12);
    const bestMean = fineFile.confirmed.reduce((a, b) => (b.mean > a.mean ? b : a));
    expect(r.point).toEqual(bestMean.point);
    expect(r.chosenFrom).toBe(bestMean.source);
    expect(r.searchAccuracy).toBeCloseTo(bestMean.mean, 12);
    expect(r.confirmed).toEqual({ candidates: preset.confirm, pickRank: 1 + fineFile.confirmed.indexOf(bestMean) });
    const candidates = readFileSync(run.file('candidates.jsonl'), 'utf8').trim().split('\n').length;
    expect(candidates).toBeGreaterThanOrEqual(r.candidatesTrained);
    expect(r.searchAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.predictor.n).toBe(preset.perIteration);
    expect(r.predictor.seedToSeedN).toBeGreaterThanOrEqual(2);
    expect(r.predictor.seedToSeedTau).toBeGreaterThanOrEqual(-1);
    expect(r.recipe.epochs).toBeGreaterThanOrEqual(2);
    for (const f of [r.archPath, r.modelPath, run.file('coarse.json'), run.file('fine.json'), run.file('final.json'), run.file('candidates.jsonl')]) expect(existsSync(f), f).toBe(true);
    // Paths inside the run are relative to it, so a copied run points at its own model.
    expect(JSON.parse(readFileSync(run.file('final.json'), 'utf8')).modelPath).toBe('model/model.json');
    const types = new Set(events.map((e) => e.type));
    for (const t of ['predictor/proxy-pretrained', 'autotrain/early-stop-chosen', 'predictor/fitted', 'evolution/generation', 'evolution/completed', 'train/completed']) expect(types.has(t), t).toBe(true);
    // Resuming a finished run redoes nothing but the latency measurement and returns the same model.
    const again = await searchV3(RunDir.open(dir), { ...ctx, log: (e: EventBase) => events.push({ ...e, type: `again:${e.type}` }) }, { preset, presetName: 'smoke' });
    expect(events.some((e) => e.type.startsWith('again:'))).toBe(false);
    expect(again.testAccuracy).toBe(r.testAccuracy);
    expect(again.point).toEqual(r.point);
  });
});

describe('searchV3 horizon step', () => {
  it('trains the best confirmed candidates and the default recipe for the final training\'s epochs, and trains the best of them further', async () => {
    // The tiny space with a default recipe (SGD, EMA on); the final training runs 2x the schedule.
    if (!JOINT_SPACE_PRESETS.has('fbnet-v3-tiny-default')) {
      JOINT_SPACE_PRESETS.register('fbnet-v3-tiny-default', parseJointSpace({ ...getJointSpacePreset('fbnet-v3-tiny'), name: 'fbnet-v3-tiny-default', defaultRecipe: { optimizer: 'sgd', lr: 0.05, weightDecay: 5e-5, mixup: 0, dropout: 0, dropPath: 0, ema: true, epochs: 2 } }));
    }
    const space = getJointSpacePreset('fbnet-v3-tiny-default');
    const smoke = SEARCH_V3_PRESETS.smoke;
    const preset = { ...smoke, space: space.name, horizon: { candidates: 2 }, final: { ...smoke.final, epochsScale: 2, emaDecay: 0.99 } };
    const dir = join(mkdtempSync(join(tmpdir(), 'fbnet-v3-h-')), 'run');
    const run = RunDir.create(dir, { command: 'search v3', seed: 3, options: { preset: 'smoke' } });
    const lines: string[] = [];
    const ctx = { backend: stockCpu, log: (e: EventBase) => run.appendEvent(e), info: (l: string) => lines.push(l) };
    const r = await searchV3(run, ctx, { preset, presetName: 'smoke+horizon' });
    type Contender = { point: JointPoint; source: string; earlyStop?: number; accuracy?: number; id: string };
    const fineFile = JSON.parse(readFileSync(run.file('fine.json'), 'utf8')) as { chosen: { point: JointPoint }; confirmed: { point: JointPoint; source: string; mean: number }[] };
    const h = JSON.parse(readFileSync(run.file('horizon.json'), 'utf8')) as { epochs: number; contenders: Contender[]; pick: number };
    // Contenders: the 2 best confirmed means, then the chosen arch with the default recipe.
    const byMean = [...fineFile.confirmed].sort((a, b) => b.mean - a.mean).slice(0, 2);
    expect(h.contenders.map((c) => c.point)).toEqual([...byMean.map((c) => c.point), withDefaultRecipe(space, fineFile.chosen.point)]);
    expect(h.contenders.map((c) => c.source)).toEqual([...byMean.map((c) => c.source), 'default']);
    expect(h.contenders.map((c) => c.earlyStop)).toEqual([...byMean.map((c) => c.mean), undefined]);
    expect(h.contenders[2].point['recipe.optimizer']).toBe('sgd');
    // Each trained the final training's epochs (the space's schedule × 2): the stored results say so.
    const stored = new Map(readFileSync(run.file('candidates.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; accuracy: number; epochs: number; curve: number[] }).map((x) => [x.id, x]));
    for (const c of h.contenders) {
      const res = stored.get(c.id)!;
      expect(res.epochs).toBe(2 * jointRecipe(space, c.point).epochs);
      expect(res.curve).toHaveLength(res.epochs);
      expect(c.accuracy).toBe(res.accuracy);
    }
    expect(h.epochs).toBe(2 * jointRecipe(space, fineFile.chosen.point).epochs);
    // The best at the horizon is trained further, with the final recipe (epochs and EMA decay of the final training).
    const best = h.contenders.reduce((a, b) => (b.accuracy! > a.accuracy! ? b : a));
    expect(h.pick).toBe(h.contenders.indexOf(best));
    expect(r.point).toEqual(best.point);
    expect(JSON.parse(readFileSync(r.archPath, 'utf8')).blocks).toEqual(jointArch(space, best.point).blocks);
    const found = jointRecipe(space, best.point);
    expect(r.recipe).toEqual({ ...found, epochs: 2 * found.epochs, ema: found.ema ? 0.99 : 0 });
    expect(r.horizon).toEqual({
      contenders: 3,
      epochs: h.epochs,
      accuracy: best.accuracy,
      pickRank: h.pick + 1,
      defaultAccuracy: h.contenders[2].accuracy,
      recipeFrom: best.source === 'default' ? 'default' : 'search',
    });
    expect(r.searchAccuracy).toBe(best.earlyStop ?? JSON.parse(readFileSync(run.file('fine.json'), 'utf8')).chosen.accuracy);
    expect(lines.some((l) => /^horizon: 3 contenders/.test(l))).toBe(true);
    // The final training follows horizon.json: resumed with another pick stored (and the final
    // training's outputs removed), the run trains that contender, and trains no candidate again.
    const other = (h.pick + 1) % h.contenders.length;
    writeFileSync(run.file('horizon.json'), JSON.stringify({ ...h, pick: other }));
    for (const f of ['final.json', 'result.json', 'arch.json', 'recipe.json']) rmSync(run.file(f), { force: true });
    rmSync(join(dir, 'checkpoints'), { recursive: true, force: true });
    const events: EventBase[] = [];
    const again = await searchV3(RunDir.open(dir), { ...ctx, log: (e: EventBase) => events.push(e) }, { preset, presetName: 'smoke+horizon' });
    expect(again.point).toEqual(h.contenders[other].point);
    expect(again.horizon!.pickRank).toBe(other + 1);
    expect(again.horizon!.recipeFrom).toBe(other === 2 ? 'default' : 'search');
    expect(events.some((e) => e.type.startsWith('queue/'))).toBe(false);
    expect(events.some((e) => e.type === 'train/completed')).toBe(true);
  });
});

describe('searchV3 with a corrupt data dir', () => {
  it('fails with the data error every candidate hit, not with the early-stopping rule it starved', async () => {
    const data = mkdtempSync(join(tmpdir(), 'fbnet-v3-corrupt-'));
    const n = 400;
    writeFileSync(join(data, FASHION_MNIST_FILES.train.images), encodeIdx({ dtype: 'ubyte', dims: [n, 28, 28], data: new Uint8Array(n * 784) }));
    writeFileSync(join(data, FASHION_MNIST_FILES.train.labels), encodeIdx({ dtype: 'ubyte', dims: [n], data: new Uint8Array(n).fill(200) }));
    const run = RunDir.create(join(mkdtempSync(join(tmpdir(), 'fbnet-v3-')), 'run'), { command: 'search v3', seed: 1, options: {} });
    const ctx = { backend: stockCpu, log: (e: EventBase) => run.appendEvent(e), info: () => undefined };
    const err = await searchV3(run, ctx, { preset: SEARCH_V3_PRESETS.smoke, presetName: 'smoke', dataDir: data }).then(() => undefined, (e: unknown) => e);
    run.close();
    expect(err).toBeInstanceOf(FbnetError);
    expect((err as FbnetError).code).toBe('DATA_CORRUPT');
    expect((err as Error).message).toMatch(/train-labels-idx1-ubyte: label 200 at index 0 is outside 0\.\.9 \(every one of the \d+ candidate\(s\) of the early-stopping set failed/);
  }, 120_000);
});

describe('jointnasStage (searchV3 as a stage)', () => {
  it('unsubscribing during the coarse stage stops it and keeps the run; the same stage resumes to the result of an uninterrupted run', async () => {
    const ctxFor = () => {
      const run = RunDir.create(join(mkdtempSync(join(tmpdir(), 'fbnet-v3-stage-')), 'run'), { command: 'search v3', seed: 1, options: { preset: 'smoke' } });
      return { seed: 1, backend: { id: 'cpu', plugin: stockCpu }, run };
    };
    const whole = await runStage(jointnasStage({ preset: 'smoke' }, ctxFor()));
    const ctx = ctxFor();
    await new Promise<void>((resolve) => {
      const sub = jointnasStage({ preset: 'smoke' }, ctx).subscribe((e) => {
        if (e.type === 'autotrain/early-stop-chosen') {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    await stagesSettled();
    expect(existsSync(ctx.run.file('coarse-state.json'))).toBe(true);
    expect(existsSync(ctx.run.file('coarse.json'))).toBe(false);
    // The interrupted process's time is kept in the run, and the resumed result counts it too.
    const before = JSON.parse(readFileSync(ctx.run.file('seconds.json'), 'utf8')) as { coarse: number; other: number };
    expect(before.coarse).toBeGreaterThan(0);
    const types: string[] = [];
    const t = Date.now();
    const resumed = await runStage(jointnasStage({ preset: 'smoke' }, ctx), { onEvent: (e) => types.push(e.type) });
    const resumedWall = (Date.now() - t) / 1000;
    expect(resumed.seconds.coarse).toBeGreaterThan(before.coarse);
    expect(resumed.seconds.total).toBeGreaterThan(resumedWall);
    expect(resumed.seconds.total).toBeLessThanOrEqual(resumedWall + before.coarse + before.other + 1);
    expect(resumed.seconds.total).toBeCloseTo(resumed.seconds.coarse + resumed.seconds.fine + resumed.seconds.train + JSON.parse(readFileSync(ctx.run.file('seconds.json'), 'utf8')).other, 1);
    expect(types).not.toContain('predictor/proxy-pretrained');
    expect(resumed.point).toEqual(whole.point);
    expect(resumed.recipe).toEqual(whole.recipe);
    expect(resumed.testAccuracy).toBe(whole.testAccuracy);
    expect(JSON.parse(readFileSync(ctx.run.file('fine.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(whole.runDir, 'fine.json'), 'utf8')));
  }, 300_000);

  it('searchV3 with an aborted signal stops with a CHECKPOINT error naming the run', async () => {
    const run = RunDir.create(join(mkdtempSync(join(tmpdir(), 'fbnet-v3-')), 'run'), { command: 'search v3', seed: 1, options: {} });
    const ac = new AbortController();
    const ctx = { backend: stockCpu, log: (e: EventBase) => e.type === 'queue/job-started' && ac.abort(), info: () => undefined, signal: ac.signal };
    const err = await searchV3(run, ctx, { preset: SEARCH_V3_PRESETS.smoke, presetName: 'smoke' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FbnetError);
    expect((err as FbnetError).code).toBe('CHECKPOINT');
    expect((err as Error).message).toMatch(/interrupted during the coarse stage; resume the run at/);
    await stagesSettled();
  }, 120_000);
});

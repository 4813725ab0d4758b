import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, runStage, stagesSettled, type ArchDef, type StageContext } from '@fbnet/core';
import { RunDir } from '@fbnet/runs';
import { AccuracyPredictor, type PredictorSample } from './predictor.ts';
import { proxyTargets } from './proxy.ts';
import { deserializePredictor, serializePredictor } from './serialize.ts';
import { fitPredictorStage, type FitPredictorInput, type FitPredictorResult } from './stage.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** Small conv nets with their encodings; accuracy rises with width and depth, falls with a bad lr (recipe), plus noise. */
function candidates(n: number, seed: number): { arch: ArchDef; sample: PredictorSample }[] {
  const rng = new Rng(seed);
  const c = [4, 8, 12, 16], k = [3, 5], e = [1, 2, 4];
  return Array.from({ length: n }, () => {
    const x = { c1: rng.int(4), k1: rng.int(2), e1: rng.int(3), c2: rng.int(4), d2: rng.int(3), r: rng.int(3) };
    const arch: ArchDef = {
      input_size: [12, 16, 20][x.r],
      input_channels: 1,
      num_classes: 10,
      basic_args: { width_divisor: 1 },
      blocks: [[['conv_k3', c[x.c1], 2, 1]], [[`ir_k${k[x.k1]}`, c[x.c2] * 2, 2, x.d2 + 1, { expansion: e[x.e1] }]]],
    };
    const enc = [x.c1 / 3, x.k1, x.e1 / 2, x.c2 / 3, x.d2 / 2, x.r / 2];
    const lr = rng.next();
    const accuracy = 0.6 + 0.1 * enc[0] + 0.1 * enc[3] + 0.05 * enc[4] - 0.2 * (lr - 0.5) ** 2 + 0.005 * rng.normal();
    return { arch, sample: { arch: enc, recipe: [lr], accuracy } };
  });
}

const proxySet = candidates(120, 1);
const scored = candidates(40, 2);
const held = candidates(20, 3);
const input: FitPredictorInput = {
  config: { archDim: 6, recipeDim: 1, ensemble: 3 },
  proxy: { arch: proxySet.map((x) => x.sample.arch), archDefs: proxySet.map((x) => x.arch), epochs: 40 },
  samples: scored.map((x) => x.sample),
  heldOut: held.map((x) => x.sample),
  fit: { frozenEpochs: 10, fineTuneEpochs: 10 },
};
const ctxIn = (): StageContext => {
  const dir = join(mkdtempSync(join(tmpdir(), 'fbnet-fit-')), 'run');
  return { seed: 5, backend: { id: 'cpu' }, run: RunDir.create(dir, { command: 'test', seed: 5, options: {} }) };
};
const predictions = (r: FitPredictorResult) => {
  const p = deserializePredictor(r.predictor);
  const out = p.predict(held.map((x) => x.sample.arch), held.map((x) => x.sample.recipe));
  p.dispose();
  return out;
};

describe('fitPredictorStage', () => {
  let whole: FitPredictorResult;

  it('proxy-pretrains and fits on scored candidates: the result is plain JSON, the predictor bit-exact, no tensor left behind', async () => {
    const before = tf.memory().numTensors;
    const types: string[] = [];
    whole = await runStage(fitPredictorStage(input, ctxIn()), { onEvent: (e) => types.push(e.type) });
    expect(tf.memory().numTensors).toBe(before);
    expect(JSON.parse(JSON.stringify(whole))).toEqual(whole);
    expect(types.filter((t) => t === 'predictor/member-fitted')).toHaveLength(3);
    expect(types.indexOf('predictor/proxy-pretrained')).toBeLessThan(types.indexOf('predictor/member-fitted'));
    expect(whole.proxy!.samples).toBe(120);
    expect(whole.proxy!.kendallTau).toBeGreaterThan(0.5);
    expect(whole.fit.samples).toBe(40);
    expect(whole.heldOut!.n).toBe(20);
    expect(whole.heldOut!.kendallTau).toBeGreaterThan(0.3);
    // The same fit done by hand gives exactly the serialized predictor's predictions.
    const p = new AccuracyPredictor({ archDim: 6, recipeDim: 1, ensemble: 3, seed: 5 });
    await p.pretrainProxy(input.proxy!.arch, proxySet.map((x) => proxyTargets(x.arch)), { epochs: 40 });
    const report = await p.fit(input.samples, input.fit);
    expect(whole.fit).toEqual(report);
    expect(predictions(whole)).toEqual(p.predict(held.map((x) => x.sample.arch), held.map((x) => x.sample.recipe)));
    expect(serializePredictor(p)).toEqual(whole.predictor);
    expect(whole.heldOut).toEqual(p.evaluate(held.map((x) => x.sample)));
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('unsubscribing stops within an epoch and leaves a checkpoint; the same stage resumes to the same result', async () => {
    const before = tf.memory().numTensors;
    const ctx = ctxIn();
    await new Promise<void>((resolve) => {
      const sub = fitPredictorStage(input, ctx).subscribe((e) => {
        if (e.type === 'predictor/member-fitted' && e.member === 0) {
          // Stop during member 1's fit: it is abandoned at its next epoch, member 0 stays checkpointed.
          setTimeout(() => {
            sub.unsubscribe();
            resolve();
          }, 5);
        }
      });
    });
    await stagesSettled();
    expect(tf.memory().numTensors).toBe(before);
    const saved = ctx.run!.loadCheckpoint<{ membersDone: number }>('fit-predictor');
    expect(saved!.meta.membersDone).toBe(1);
    const types: string[] = [];
    const resumed = await runStage(fitPredictorStage(input, ctx), { onEvent: (e) => types.push(e.type) });
    expect(types).not.toContain('predictor/proxy-pretrained');
    expect(types.filter((t) => t === 'predictor/member-fitted')).toHaveLength(2);
    expect(resumed).toEqual(whole);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cancelled during the proxy pretraining it keeps nothing half-done and starts over to the same result', async () => {
    const ctx = ctxIn();
    await new Promise<void>((resolve) => {
      const sub = fitPredictorStage(input, ctx).subscribe((e) => {
        if (e.type === 'stage/started')
          setTimeout(() => {
            sub.unsubscribe();
            resolve();
          }, 1);
      });
    });
    await stagesSettled();
    expect(ctx.run!.loadCheckpoint('fit-predictor')).toBeUndefined();
    expect(await runStage(fitPredictorStage(input, ctx))).toEqual(whole);
  });

  it('starts from a serialized predictor (no proxy pretraining) and refuses to start from nothing', async () => {
    const r = await runStage(fitPredictorStage({ predictor: whole.predictor, samples: input.samples, fit: input.fit }, { seed: 5, backend: { id: 'cpu' } }));
    expect(r.proxy).toBeNull();
    expect(r.heldOut).toBeNull();
    expect(r.fit.samples).toBe(40);
    await expect(runStage(fitPredictorStage({ samples: input.samples }, { seed: 5, backend: { id: 'cpu' } }))).rejects.toThrow(/config or a serialized predictor/);
  });
});

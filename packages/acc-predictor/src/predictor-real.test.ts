import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccuracyPredictor } from './predictor.ts';
import fixture from './fmnist-candidates.fixture.json' with { type: 'json' };

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('AccuracyPredictor on real candidates (fixture from benchmarks/v3-predictor.ts)', () => {
  it('fitting on trained fbnet-v3-fmnist candidates reduces the error on held-out ones', async () => {
    const s = fixture.samples;
    const cut = Math.round(s.length * (2 / 3));
    const [train, held] = [s.slice(0, cut), s.slice(cut)];
    const cfg = { archDim: s[0].arch.length, recipeDim: s[0].recipe.length, seed: 0 };
    const untrained = new AccuracyPredictor(cfg);
    await untrained.fit(train, { frozenEpochs: 0, fineTuneEpochs: 0 });
    const before = untrained.evaluate(held);
    untrained.dispose();
    const p = new AccuracyPredictor(cfg);
    await p.fit(train);
    const after = p.evaluate(held);
    p.dispose();
    const mean = train.reduce((a, x) => a + x.accuracy, 0) / train.length;
    const meanRmse = Math.sqrt(held.reduce((a, x) => a + (x.accuracy - mean) ** 2, 0) / held.length);
    expect(after.rmse).toBeLessThan(before.rmse);
    expect(after.rmse).toBeLessThan(meanRmse);
    expect(after.kendallTau).toBeGreaterThan(0.25);
  });
});

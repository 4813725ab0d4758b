import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchDmasking } from './bench.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('benchDmasking (tiny settings; figures are not asserted)', () => {
  it('returns every ratio and per-configuration figures, and frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const r = await benchDmasking({ batch: 1, rounds: 1, warmup: 0, options: 2, resolutions: [24, 28], scale: 0.125 });
    for (const k of ['stepTimeRatio8to1', 'memoryRatio8to1', 'naiveStepTimeRatio8to1', 'naiveMemoryRatio8to1', 'resolutionTimeRatio4to1', 'resolutionMemoryRatio4to1', 'resolutionAllTimeRatio4to1', 'resolutionAllMemoryRatio4to1'] as const) {
      expect(r[k]).toBeGreaterThan(0);
    }
    expect(r.resolutionPixelRatio4to1).toBeCloseTo((24 * 24 + 28 * 28) / (28 * 28), 3);
    expect(r.configs.naive8.params).toBeGreaterThan(r.configs.masked8.params);
    expect(tf.memory().numTensors).toBe(before);
  });
});

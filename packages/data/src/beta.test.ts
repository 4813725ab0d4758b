import { Rng } from '@fbnet/core';
import { describe, expect, it } from 'vitest';
import { sampleBeta, sampleGamma } from './beta.ts';

function moments(draw: () => number, n: number): { mean: number; variance: number; min: number; max: number } {
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = draw();
    s += v;
    s2 += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean, min, max };
}

// Tolerances are ~5 standard errors at n = 20000 for these fixed seeds.
describe('sampleGamma / sampleBeta', () => {
  it('Gamma(k) has mean k and variance k, for k ≥ 1 and k < 1', () => {
    for (const [k, seed] of [[3, 1], [0.5, 2]]) {
      const rng = new Rng(seed);
      const m = moments(() => sampleGamma(rng, k), 20000);
      expect(Math.abs(m.mean - k)).toBeLessThan(5 * Math.sqrt(k / 20000));
      expect(Math.abs(m.variance - k) / k).toBeLessThan(0.06);
      expect(m.min).toBeGreaterThan(0);
    }
  });

  it('Beta(2, 5): mean 2/7, variance 10/392', () => {
    const rng = new Rng(3);
    const m = moments(() => sampleBeta(rng, 2, 5), 20000);
    expect(m.mean).toBeCloseTo(2 / 7, 2);
    expect(Math.abs(m.variance - 10 / 392)).toBeLessThan(0.0015);
    expect(m.min).toBeGreaterThanOrEqual(0);
    expect(m.max).toBeLessThanOrEqual(1);
  });

  it('Beta(0.2, 0.2) — the usual mixup α — is U-shaped: mean 1/2, variance 1/(4·1.4)', () => {
    const rng = new Rng(4);
    const m = moments(() => sampleBeta(rng, 0.2, 0.2), 20000);
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(m.variance - 1 / 5.6)).toBeLessThan(0.005);
  });

  it('refuses a non-positive shape', () => expect(() => sampleGamma(new Rng(0), 0)).toThrow(/positive/));
});

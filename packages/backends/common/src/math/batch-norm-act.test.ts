import { describe, expect, it } from 'vitest';
import { Rng, type FusedActivation } from '@fbnet/core';
import { batchNormActBackward, batchNormActForward } from './batch-norm-act.ts';

/** Loss L = Σ w·y for fixed random w, so dL/dy = w; compared with central differences in float64. */
function loss(x: Float32Array, gamma: Float32Array, beta: Float32Array, C: number, act: FusedActivation, w: Float32Array): number {
  const y = new Float32Array(x.length);
  batchNormActForward(x, gamma, beta, C, 1e-3, act, y, new Float32Array(C), new Float32Array(C));
  let s = 0;
  for (let i = 0; i < y.length; i++) s += w[i] * y[i];
  return s;
}

describe('batchNormAct (JS math)', () => {
  it('normalises each channel to zero mean, unit (biased) variance before the affine', () => {
    const C = 3;
    const x = Float32Array.from({ length: 24 }, (_, i) => (i % C) * 100 + i);
    const y = new Float32Array(24);
    const mean = new Float32Array(C);
    const invStd = new Float32Array(C);
    batchNormActForward(x, new Float32Array([1, 1, 1]), new Float32Array(C), C, 0, 'none', y, mean, invStd);
    for (let c = 0; c < C; c++) {
      const col = [...y].filter((_, i) => i % C === c);
      const m = col.reduce((a, b) => a + b, 0) / col.length;
      const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(v).toBeCloseTo(1, 4);
    }
    expect(mean[1]).toBeCloseTo(100 + 11.5, 4);
  });

  for (const act of ['none', 'relu', 'relu6', 'hswish'] as FusedActivation[]) {
    it(`backward matches finite differences (${act})`, () => {
      const rng = new Rng(7);
      const C = 4;
      const M = 10;
      const x = Float32Array.from({ length: M * C }, () => (rng.next() * 2 - 1) * 3);
      const gamma = Float32Array.from({ length: C }, () => 0.5 + rng.next() * 2);
      const beta = Float32Array.from({ length: C }, () => rng.next() - 0.5);
      const w = Float32Array.from({ length: M * C }, () => rng.next() * 2 - 1);
      const mean = new Float32Array(C);
      const invStd = new Float32Array(C);
      batchNormActForward(x, gamma, beta, C, 1e-3, act, new Float32Array(M * C), mean, invStd);
      const dx = new Float32Array(M * C);
      const dg = new Float32Array(C);
      const db = new Float32Array(C);
      batchNormActBackward(w, x, gamma, beta, mean, invStd, C, act, dx, dg, db);
      const fd = (arr: Float32Array, i: number, h = 1e-2) => {
        const v = arr[i];
        arr[i] = v + h;
        const up = loss(x, gamma, beta, C, act, w);
        arr[i] = v - h;
        const down = loss(x, gamma, beta, C, act, w);
        arr[i] = v;
        return (up - down) / (2 * h);
      };
      // Points within h of a kink give one-sided answers; skip those rare indices.
      const z = (i: number) => (x[i] - mean[i % C]) * invStd[i % C] * gamma[i % C] + beta[i % C];
      const nearKink = (i: number) => [0, 6, -3, 3].some((k) => Math.abs(z(i) - k) < 0.2);
      for (let i = 0; i < M * C; i++) if (!nearKink(i)) expect(dx[i]).toBeCloseTo(fd(x, i), 1);
      for (let c = 0; c < C; c++) {
        if (act !== 'none' && Array.from({ length: M }, (_, r) => r * C + c).some((i) => [0, 6, -3, 3].some((k) => Math.abs(z(i) - k) < 0.02))) continue;
        // Small steps: a γ/β step moves every z of the channel, so a large one crosses kinks.
        expect(dg[c]).toBeCloseTo(fd(gamma, c, 2e-3), 1);
        expect(db[c]).toBeCloseTo(fd(beta, c, 2e-3), 1);
      }
    });
  }
});

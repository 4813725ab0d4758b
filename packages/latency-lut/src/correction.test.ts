import { describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { fitCorrection, fitCorrectionModel, ridgeFit, solveLinear, type CalibrationPoint } from './correction.ts';
import { applyCorrection } from './predict.ts';

/** Synthetic calibration archs: three op types whose summed latencies vary independently. */
function points(n: number, truth: (a: number, b: number, c: number) => number, seed = 1, noise = 0): CalibrationPoint[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const a = rng.uniform(1, 5);
    const b = rng.uniform(0, 3);
    const c = 2; // the same in every arch (like input + head)
    const steps = [
      { opType: 'A', ms: a * 0.5 },
      { opType: 'A', ms: a * 0.5 },
      { opType: 'B', ms: b },
      { opType: 'C', ms: c },
    ];
    return { steps, measuredMs: truth(a, b, c) * (1 + noise * rng.normal()) };
  });
}

describe('correction fit', () => {
  it('solves small linear systems (pivoting)', () => {
    expect(solveLinear([[0, 1], [2, 0]], [3, 4])).toEqual([2, 3]);
    const x = ridgeFit([[1, 1], [1, 2], [1, 3]], [3, 5, 7], [0, 0], [0, 0]);
    expect(x[0]).toBeCloseTo(1, 10);
    expect(x[1]).toBeCloseTo(2, 10);
  });

  it('offset: recovers a per-network constant', () => {
    const p = points(20, (a, b, c) => a + b + c + 0.8);
    const c = fitCorrectionModel('offset', p);
    expect(c.offsetMs).toBeCloseTo(0.8, 10);
    expect(c.scale).toBe(1);
  });

  it('affine: recovers offset and scale', () => {
    const p = points(20, (a, b, c) => 0.3 + 1.25 * (a + b + c));
    const c = fitCorrectionModel('affine', p);
    expect(c.offsetMs).toBeCloseTo(0.3, 4);
    expect(c.scale).toBeCloseTo(1.25, 4);
  });

  it('per-op: recovers per-type weights; a type constant across archs stays at 1 (collinear with the offset)', () => {
    const p = points(40, (a, b, c) => 0.5 + 0.9 * a + 1.6 * b + c);
    const c = fitCorrectionModel('per-op', p);
    expect(c.opWeights.A).toBeCloseTo(0.9, 2);
    expect(c.opWeights.B).toBeCloseTo(1.6, 2);
    expect(c.opWeights.C).toBeCloseTo(1, 6);
    expect(c.offsetMs).toBeCloseTo(0.5, 1);
    for (const x of p) expect(applyCorrection(c, x.steps)).toBeCloseTo(x.measuredMs, 1);
  });

  it('picks the model with the lowest leave-one-out error and records calibration figures', () => {
    const perOp = fitCorrection(points(30, (a, b, c) => 0.5 + 0.7 * a + 1.8 * b + c, 2, 0.005), { seed: 7 });
    expect(perOp.model).toBe('per-op');
    expect(perOp.calibration.samples).toBe(30);
    expect(perOp.calibration.seed).toBe(7);
    expect(perOp.calibration.corrected.mape).toBeLessThan(perOp.calibration.plain.mape);
    expect(Object.keys(perOp.calibration.looMape).sort()).toEqual(['affine', 'none', 'offset', 'per-op']);
    const affine = fitCorrection(points(30, (a, b, c) => 1 + 1.3 * (a + b + c), 3, 0.02), { seed: 0 });
    expect(affine.model).not.toBe('offset');
    expect(affine.scale * (affine.opWeights.A ?? 1)).toBeCloseTo(1.3, 1);
  });

  it('keeps the plain sum (model none) when the block sum already predicts and fits only add noise', () => {
    // measured = Σ LAT exactly, plus noise: any fitted term can only chase the noise
    const exact = fitCorrection(points(12, (a, b, c) => a + b + c, 5, 0.02), { seed: 0 });
    expect(exact.model).toBe('none');
    expect(exact.offsetMs).toBe(0);
    expect(exact.scale).toBe(1);
    expect(exact.calibration.looMape.none).toBeLessThanOrEqual(Math.min(exact.calibration.looMape.offset, exact.calibration.looMape.affine));
    expect(exact.calibration.corrected.mape).toBe(exact.calibration.plain.mape);
    const steps = [{ opType: 'A', ms: 0.25 }, { opType: 'B', ms: 0.5 }];
    expect(applyCorrection(exact, steps)).toBe(0.75);
  });
});

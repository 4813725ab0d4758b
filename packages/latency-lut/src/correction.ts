import { FbnetError } from '@fbnet/core';
import { fitFigures } from './metrics.ts';
import { applyCorrection, opTypeSums, type StepLatency } from './predict.ts';
import type { LutCorrection } from './schema.ts';

/** One calibration arch: its per-step LUT latencies and its measured end-to-end latency. */
export interface CalibrationPoint {
  steps: readonly Pick<StepLatency, 'opType' | 'ms'>[];
  measuredMs: number;
}

export type CorrectionModel = LutCorrection['model'];
/** Candidates, simplest first (ties go to the simpler): `none` keeps the plain sum when no fit beats it. */
export const CORRECTION_MODELS: readonly CorrectionModel[] = ['none', 'offset', 'affine', 'per-op'];

/** Solve A x = b (small, dense) by Gaussian elimination with partial pivoting. */
export function solveLinear(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-300) throw new FbnetError('NUMERIC', 'correction fit: singular system');
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/**
 * Ridge least squares with a prior: minimise Σ_i (y_i − x_i·β)² + Σ_j λ_j (β_j − β0_j)².
 * λ_j = 0 leaves a coefficient free (the offset); λ_j > 0 pulls it towards its prior.
 */
export function ridgeFit(x: number[][], y: number[], lambda: number[], prior: number[]): number[] {
  const p = lambda.length;
  const a = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  x.forEach((row, i) => {
    for (let j = 0; j < p; j++) {
      b[j] += row[j] * y[i];
      for (let k = 0; k < p; k++) a[j][k] += row[j] * row[k];
    }
  });
  for (let j = 0; j < p; j++) {
    a[j][j] += lambda[j];
    b[j] += lambda[j] * prior[j];
  }
  return solveLinear(a, b);
}

/** Ridge strength relative to each feature's mean square: enough to pin collinear terms, too little to bias a well-posed fit. */
const RIDGE = 0.01;

/**
 * Fit one correction model of whole-net latency from the block sum:
 *   none:    y = Σ LAT                (the plain sum, eq. 3: kept when no fit beats it)
 *   offset:  y = c + Σ LAT            (per-network constant: dispatch, tidy scopes, allocator)
 *   affine:  y = c + s·Σ LAT          (plus a uniform scale: caches warm in isolation, cold in a net)
 *   per-op:  y = c + Σ_t w_t Σ_{e∈t} LAT(e)   (per-op-type scale, ridge-pulled towards 1)
 * Types that never vary across archs are collinear with c; the ridge keeps them at 1.
 */
export function fitCorrectionModel(model: CorrectionModel, points: readonly CalibrationPoint[]): Pick<LutCorrection, 'model' | 'offsetMs' | 'scale' | 'opWeights'> {
  if (!points.length) throw new FbnetError('USAGE', 'correction fit needs at least one calibration arch');
  const plain = points.map((p) => p.steps.reduce((a, s) => a + s.ms, 0));
  const y = points.map((p) => p.measuredMs);
  if (model === 'none') return { model: 'none', offsetMs: 0, scale: 1, opWeights: {} };
  if (model === 'offset' || points.length < 3) {
    const c = y.reduce((a, v, i) => a + v - plain[i], 0) / y.length;
    return { model: 'offset', offsetMs: c, scale: 1, opWeights: {} };
  }
  if (model === 'affine') {
    const ss = plain.reduce((a, v) => a + v * v, 0);
    const [c, s] = ridgeFit(
      plain.map((v) => [1, v]),
      y,
      [0, (1e-6 * ss) / points.length],
      [0, 1],
    );
    if (!(s > 0)) return fitCorrectionModel('offset', points);
    return { model: 'affine', offsetMs: c, scale: s, opWeights: {} };
  }
  const sums = points.map((p) => opTypeSums(p.steps));
  const types = [...new Set(sums.flatMap((m) => [...m.keys()]))].sort();
  const x = sums.map((m) => [1, ...types.map((t) => m.get(t) ?? 0)]);
  const lambda = [0, ...types.map((_, j) => (RIDGE * x.reduce((a, row) => a + row[j + 1] * row[j + 1], 0)) / points.length + 1e-12)];
  const beta = ridgeFit(x, y, lambda, [0, ...types.map(() => 1)]);
  const opWeights: Record<string, number> = {};
  types.forEach((t, j) => {
    // A negative latency weight is not physical: fall back to 1 for that type.
    opWeights[t] = beta[j + 1] > 0 ? beta[j + 1] : 1;
  });
  return { model: 'per-op', offsetMs: beta[0], scale: 1, opWeights };
}

function mapeOf(pred: number[], y: number[]): number {
  return (100 * pred.reduce((a, p, i) => a + Math.abs(p - y[i]) / y[i], 0)) / y.length;
}

/**
 * Fit every model, pick the one with the lowest leave-one-out MAPE on the calibration set
 * (the per-op model has more parameters; LOO keeps it from winning by overfitting). `none` (the
 * plain sum, nothing fitted) competes too, so a correction is applied only where it helps.
 */
export function fitCorrection(points: readonly CalibrationPoint[], meta: { seed: number; models?: readonly CorrectionModel[] }): LutCorrection {
  const models = meta.models ?? CORRECTION_MODELS;
  const y = points.map((p) => p.measuredMs);
  const looMape: Record<string, number> = {};
  for (const m of models) {
    if (points.length < 2) {
      looMape[m] = NaN;
      continue;
    }
    const pred = points.map((p, i) => {
      const c = fitCorrectionModel(m, points.filter((_, j) => j !== i));
      return applyCorrection(c, p.steps);
    });
    looMape[m] = mapeOf(pred, y);
  }
  const best = models.reduce((a, m) => (Number.isFinite(looMape[m]) && (!Number.isFinite(looMape[a]) || looMape[m] < looMape[a]) ? m : a), models[0]);
  const fitted = fitCorrectionModel(best, points);
  const plain = points.map((p) => p.steps.reduce((a, s) => a + s.ms, 0));
  const corrected = points.map((p) => applyCorrection(fitted, p.steps));
  const strip = (f: ReturnType<typeof fitFigures>) => ({ mape: f.mape, within10: f.within10, kendallTau: Number.isFinite(f.kendallTau) ? f.kendallTau : 0 });
  return {
    ...fitted,
    calibration: { samples: points.length, seed: meta.seed, looMape: Object.fromEntries(Object.entries(looMape).filter(([, v]) => Number.isFinite(v))), plain: strip(fitFigures(plain, y)), corrected: strip(fitFigures(corrected, y)) },
    fittedAt: new Date().toISOString(),
  };
}

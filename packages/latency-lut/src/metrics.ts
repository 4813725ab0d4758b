import { kendallTauB } from '@fbnet/core';

export interface FitFigures {
  /** Mean absolute percentage error, in percent. */
  mape: number;
  /** Share (0..1) of archs predicted within ±10% of measured. */
  within10: number;
  kendallTau: number;
  /** Largest absolute percentage error. */
  maxAbsErrPct: number;
  /** Mean signed percentage error (positive: the predictor overestimates). */
  biasPct: number;
}

export function fitFigures(predicted: readonly number[], measured: readonly number[]): FitFigures {
  const n = measured.length;
  if (!n || predicted.length !== n) throw new RangeError('fitFigures: need equally long, non-empty lists');
  let abs = 0;
  let signed = 0;
  let within = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const e = (predicted[i] - measured[i]) / measured[i];
    abs += Math.abs(e);
    signed += e;
    if (Math.abs(e) <= 0.1) within++;
    max = Math.max(max, Math.abs(e));
  }
  return { mape: (100 * abs) / n, within10: within / n, kendallTau: kendallTauB(predicted, measured), maxAbsErrPct: 100 * max, biasPct: (100 * signed) / n };
}

import { FbnetError } from '@fbnet/core';
import { kendallTauB } from '@fbnet/core';

export interface EarlyStopOptions {
  /** Rank correlation the short budget must reach (FBNetV3: 0.92). */
  threshold?: number;
  /** Smallest budget tried, in epochs. */
  minBudget?: number;
  /** Largest budget tried (default: the shortest full schedule among the candidates). */
  maxBudget?: number;
}

export interface EarlyStopDecision {
  /** Epochs of (truncated) training that rank candidates as full training does. */
  budget: number;
  /** Whether the threshold was reached (otherwise `budget` is the largest tried). */
  reached: boolean;
  threshold: number;
  /** Kendall τ between early and final accuracy for every budget tried, in order. */
  taus: { budget: number; tau: number }[];
}

/**
 * FBNetV3's early-stopping rule (§3.2, coarse stage): train n candidates fully, recording the
 * validation accuracy after every epoch; grow the short budget from `minBudget` until the
 * Kendall τ between the accuracy at that budget and the final accuracy reaches the threshold.
 * `curves[i][e]` is candidate i's accuracy after epoch e+1 of its own full schedule, so one set
 * of full runs answers every budget. A curve shorter than a budget counts with its final value.
 */
export function chooseEarlyStopBudget(curves: readonly (readonly number[])[], o: EarlyStopOptions = {}): EarlyStopDecision {
  if (curves.length < 3) throw new FbnetError('USAGE', `early-stopping rule needs at least 3 fully trained candidates, got ${curves.length}`);
  if (curves.some((c) => c.length === 0)) throw new FbnetError('USAGE', 'early-stopping rule: every candidate needs at least one epoch of accuracies');
  const threshold = o.threshold ?? 0.92;
  const minBudget = Math.max(1, o.minBudget ?? 1);
  const maxBudget = Math.max(minBudget, o.maxBudget ?? Math.min(...curves.map((c) => c.length)));
  const final = curves.map((c) => c[c.length - 1]);
  const taus: EarlyStopDecision['taus'] = [];
  for (let b = minBudget; b <= maxBudget; b++) {
    const early = curves.map((c) => c[Math.min(b, c.length) - 1]);
    const t = kendallTauB(early, final);
    const tau = Number.isNaN(t) ? 0 : t;
    taus.push({ budget: b, tau });
    if (tau >= threshold) return { budget: b, reached: true, threshold, taus };
  }
  return { budget: maxBudget, reached: false, threshold, taus };
}

/** Accuracy of a curve at a budget (the final value when the schedule is shorter). */
export function accuracyAtBudget(curve: readonly number[], budget: number): number {
  if (!curve.length) throw new FbnetError('USAGE', 'empty accuracy curve');
  return curve[Math.min(budget, curve.length) - 1];
}

import { describe, expect, it } from 'vitest';
import { accuracyAtBudget, chooseEarlyStopBudget } from './early-stop.ts';

/** Candidates whose final ranking is i; before `settle` epochs, the early ranking is scrambled by `noise`. */
function curves(n: number, epochs: number, settle: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: epochs }, (_, e) => {
      const final = 0.6 + 0.02 * i;
      const progress = (e + 1) / epochs;
      // before `settle`, a deterministic "noise" that reverses half of the pairs
      const noise = e + 1 < settle ? (i % 2 ? 0.05 : -0.05) * (settle - e - 1) : 0;
      return final * (0.7 + 0.3 * progress) + noise;
    }),
  );
}

describe('early-stopping rule (rank correlation of early vs final accuracy)', () => {
  it('grows the budget until Kendall τ reaches the threshold', () => {
    const d = chooseEarlyStopBudget(curves(10, 8, 4));
    expect(d.reached).toBe(true);
    expect(d.budget).toBe(4);
    expect(d.taus.map((t) => t.budget)).toEqual([1, 2, 3, 4]);
    expect(d.taus[3].tau).toBe(1);
    for (const t of d.taus.slice(0, 3)) expect(t.tau).toBeLessThan(0.92);
  });

  it('a lower threshold stops earlier; a budget that never ranks well ends at the largest tried', () => {
    const c = curves(10, 8, 4);
    const lenient = chooseEarlyStopBudget(c, { threshold: -1 });
    expect(lenient.budget).toBe(1);
    const never = chooseEarlyStopBudget(c, { threshold: 1.01, maxBudget: 6 });
    expect(never.reached).toBe(false);
    expect(never.budget).toBe(6);
    expect(never.taus).toHaveLength(6);
  });

  it('uses the shortest schedule as the default ceiling and final values past a curve\'s end', () => {
    const c = [[0.5, 0.6], [0.4, 0.7, 0.8], [0.45, 0.5, 0.55, 0.9]];
    const d = chooseEarlyStopBudget(c, { threshold: 1.01 });
    expect(d.budget).toBe(2);
    expect(accuracyAtBudget(c[0], 3)).toBe(0.6);
    expect(() => chooseEarlyStopBudget(c.slice(0, 2))).toThrow(/at least 3/);
  });
});

import { kendallTauB } from '@fbnet/core';
import { notice, table } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum } from '../run/run-data.ts';
import { categorical } from '../charts/palette.ts';
import { fixed } from '../format.ts';
import type { LineSeries } from '../charts/line-chart.ts';
import { curvesContent } from './curves.ts';
import { v3Context } from './v3-context.ts';

const shortId = (id: string) => (id.length > 10 ? `${id.slice(0, 8)}…` : id);

/** Kendall τ between accuracy after `b` epochs and final accuracy, for every b (a curve shorter than b counts with its last value). */
function tauPerBudget(curves: number[][]): [number, number][] {
  if (curves.length < 3) return [];
  const final = curves.map((c) => c[c.length - 1]);
  const maxLen = Math.max(...curves.map((c) => c.length));
  const out: [number, number][] = [];
  for (let b = 1; b <= maxLen; b++) {
    const t = kendallTauB(curves.map((c) => c[Math.min(b, c.length) - 1]), final);
    out.push([b, Number.isNaN(t) ? 0 : t]);
  }
  return out;
}

/**
 * V3 coarse stage, first step (FBNetV3 §3.2): the early-stopping rule. Candidates of the
 * early-stopping set are trained to the end; the shortest budget whose accuracies rank them as
 * the final accuracies do (Kendall τ ≥ threshold) is the budget every later candidate trains for.
 */
export const v3EarlyStopSection: SectionBuilder = {
  id: 'early-stop',
  title: 'Early-stopping rule: rank correlation vs training budget',
  async build(run) {
    const { view } = v3Context(run);
    const es = view.earlyStop;
    const set = view.candidates.filter((c) => c.iteration === 0 && Array.isArray(c.curve) && c.curve.length > 0 && c.curve.every(isNum));
    const curves = set.map((c) => c.curve as number[]);
    const taus = (es?.taus ?? []).filter((t) => t && isNum(t.budget) && isNum(t.tau));
    if (!es && !set.length) return missing('no autotrain/early-stop-chosen event and no trained early-stopping set: the coarse stage has not got that far');
    const computed = tauPerBudget(curves);
    const budgets = [...taus.map((t) => t.budget), ...computed.map((p) => p[0]), ...(isNum(es?.budget) ? [es.budget] : [])];
    const maxLen = curves.length ? Math.max(...curves.map((c) => c.length)) : 0;
    const lo = Math.min(...budgets, 1);
    const hi = Math.max(...budgets, maxLen, lo + 1);
    const xDomain: [number, number] = [lo, hi];
    const threshold = es?.threshold;
    const allTau = [...taus.map((t) => t.tau), ...computed.map((p) => p[1]), ...(isNum(threshold) ? [threshold] : [])];
    const yLo = Math.min(0, ...allTau);
    const budgetLine = (y0: number, y1: number): LineSeries[] =>
      isNum(es?.budget) ? [{ name: `chosen budget: ${es.budget} epoch${es.budget === 1 ? '' : 's'}`, points: [[es.budget, y0], [es.budget, y1]], color: '#111111', dashed: true, markers: false }] : [];
    const accs = curves.flat().map((a) => a * 100);
    const accLo = accs.length ? Math.min(...accs) : 0;
    const accHi = accs.length ? Math.max(...accs) : 100;
    const html = await curvesContent(
      [
        {
          title: 'Kendall τ: accuracy after b epochs vs final',
          xLabel: 'training budget b (epochs)',
          yLabel: 'Kendall τ',
          xDomain,
          yDomain: [yLo, 1],
          series: [
            // Guides and the recomputed curve first, so the rule's own points are drawn on top.
            ...budgetLine(yLo, 1),
            ...(computed.length ? [{ name: 'τ at every budget (from the set\'s curves)', points: computed, color: '#9c9c9c', dashed: true }] : []),
            { name: 'τ per budget tried by the rule', points: taus.map((t) => [t.budget, t.tau] as [number, number]), color: '#4e79a7' },
            ...(isNum(threshold) ? [{ name: `threshold ${fixed(threshold, 2)}`, points: [[lo, threshold], [hi, threshold]] as [number, number][], color: '#d62728', dashed: true, markers: false }] : []),
          ],
          caption: 'The rule grows the budget until τ reaches the threshold (FBNetV3 uses 0.92); later candidates are trained only that long and ranked by that accuracy. The grey curve recomputes τ for every budget up to the full schedule from the logged curves.',
        },
        {
          title: `Early-stopping set: ${set.length} candidate${set.length === 1 ? '' : 's'} trained to the end`,
          xLabel: 'epoch',
          yLabel: 'val accuracy %',
          xDomain,
          series: [
            ...budgetLine(accLo, accHi),
            ...set.map((c, i) => ({ name: shortId(c.id), points: (c.curve as number[]).map((a, e) => [e + 1, a * 100] as [number, number]), color: categorical(i) })),
          ],
          caption: 'Validation accuracy after every epoch of each candidate of the early-stopping set (on the candidate data split).',
        },
      ],
      420,
    );
    if (!html) return missing('the early-stopping decision was logged without any τ values');
    let body = html;
    if (taus.length) {
      body += table(
        ['budget (epochs)', 'Kendall τ', ''],
        taus.map((t) => [String(t.budget), fixed(t.tau, 3), t.budget === es?.budget ? (es?.reached ? 'chosen: threshold reached' : 'chosen: largest tried, threshold not reached') : '']),
        { numeric: [0, 1] },
      );
    }
    if (es?.reached === false) body = notice(`The threshold ${fixed(threshold, 2)} was not reached; the largest budget tried (${es.budget} epochs) was used.`, 'info') + body;
    return ok(body, es ? undefined : 'partial: the early-stopping set is trained but no autotrain/early-stop-chosen event was logged yet');
  },
};

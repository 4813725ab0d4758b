import { table } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from './section.ts';
import { ms, percent } from '../format.ts';
import { paretoFront } from '../charts/pareto-front.ts';
import type { ArchSummaryView } from '../run/views.ts';
import { scatterContent } from './scatter.ts';
import { v1Context } from './v1-context.ts';

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const opsText = (a: ArchSummaryView) => (Array.isArray(a.ops) ? a.ops.join(' ') : Array.isArray(a.choice?.ops) ? a.choice.ops.join(' ') : '–');
export const prob = (p: unknown) => (!isNum(p) ? '–' : p >= 1e-3 ? p.toPrecision(3) : p.toExponential(2));

/** One distinct arch among the samples (sampling a converged P_θ draws the same arch many times). */
interface Distinct {
  a: ArchSummaryView;
  key: string;
  count: number;
}

function distinct(archs: readonly ArchSummaryView[]): Distinct[] {
  const m = new Map<string, Distinct>();
  for (const a of archs) {
    const key = opsText(a);
    const d = m.get(key);
    if (d) d.count++;
    else m.set(key, { a, key, count: 1 });
  }
  return [...m.values()];
}

/**
 * V1: the archs sampled from the final P_θ, supernet accuracy (shared weights) against LUT
 * latency, one point per distinct arch, with the Pareto front and the derived arch highlighted.
 */
export const sampledArchsSection: SectionBuilder = {
  id: 'sampled',
  title: 'Sampled architectures: accuracy vs latency',
  async build(run) {
    const { view } = v1Context(run);
    const d = view.derived;
    if (!view.sampled.length && !d) return missing('no search/arch-sampled or search/arch-derived events: sampling from P_θ has not happened yet');
    const uniq = distinct(view.sampled);
    // Without supernet accuracies the next best y is the arch's probability under P_θ.
    const useAcc = uniq.some((u) => isNum(u.a.supernetAccuracy)) || isNum(d?.supernetAccuracy);
    const yOf = (a: ArchSummaryView) => (useAcc ? (isNum(a.supernetAccuracy) ? a.supernetAccuracy * 100 : NaN) : isNum(a.probability) ? a.probability : NaN);
    const points = uniq.map((u) => ({
      x: isNum(u.a.latencyMs) ? u.a.latencyMs : NaN,
      y: yOf(u.a),
      label: `${u.key}${u.count > 1 ? ` (sampled ${u.count}×)` : ''}\n${ms(u.a.latencyMs)} ms · supernet acc ${percent(u.a.supernetAccuracy)} · P_θ ${prob(u.a.probability)}`,
    }));
    const highlight = d && isNum(d.latencyMs) && Number.isFinite(yOf(d)) ? [{ x: d.latencyMs, y: yOf(d), tag: 'derived', color: '#111111', label: `derived: ${opsText(d)}` }] : [];
    const n = view.sampled.length;
    const chart = await scatterContent({
      points,
      highlight,
      pareto: { x: 'min', y: 'max' },
      pointsLabel: 'sampled arch (distinct)',
      xLabel: 'latency (ms, LUT)',
      yLabel: useAcc ? 'supernet accuracy %' : 'probability under P_θ',
      title: `${n} sampled arch${n === 1 ? '' : 's'}, ${uniq.length} distinct`,
      caption: useAcc
        ? 'One point per distinct arch. Accuracy of the supernet restricted to each arch (shared weights, θ split): a ranking signal, not the accuracy after training from scratch.'
        : 'The log has no supernet accuracies for these archs; y is the probability of each arch under P_θ.',
    });
    if (!chart) return missing('sampled archs were logged without latency values');
    const front = new Set(paretoFront(points.map((p, i) => ({ ...p, i }))).map((p) => p.i));
    const ranked = uniq
      .map((u, i) => ({ u, i }))
      .sort((p, q) => (q.u.a.supernetAccuracy ?? -1) - (p.u.a.supernetAccuracy ?? -1) || (p.u.a.latencyMs ?? 0) - (q.u.a.latencyMs ?? 0) || (p.u.key < q.u.key ? -1 : 1));
    const rows = [
      ...(d ? [['derived', opsText(d), ms(d.latencyMs), percent(d.supernetAccuracy), prob(d.probability), '', '']] : []),
      ...ranked.slice(0, 10).map(({ u, i }, r) => [`#${r + 1}`, u.key, ms(u.a.latencyMs), percent(u.a.supernetAccuracy), prob(u.a.probability), String(u.count), front.has(i) ? 'yes' : '']),
    ];
    const tbl = table(['', 'candidate per layer', 'latency ms', 'supernet acc', 'P_θ', 'sampled', 'Pareto'], rows, { numeric: [2, 3, 4, 5], className: 'archs' });
    const note = !d ? 'partial: no search/arch-derived event, nothing highlighted' : !highlight.length ? 'the derived arch has no latency/accuracy in the log and is not drawn' : undefined;
    const shown = Math.min(10, uniq.length);
    return ok(`${chart}<h3>Derived arch and the ${shown} best distinct sampled archs by supernet accuracy</h3><div class="scroll">${tbl}</div>`, note);
  },
};

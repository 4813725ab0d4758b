import { grid, table } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum } from '../run/run-data.ts';
import { v2ArchText, type V2ArchView } from '../run/v2-view.ts';
import { ms, percent, siCount } from '../format.ts';
import { paretoFront } from '../charts/pareto-front.ts';
import { prob } from './sampled-archs.ts';
import { scatterContent } from './scatter.ts';
import { v2Context } from './v2-context.ts';

const same = (a: V2ArchView, b: V2ArchView) => JSON.stringify(a.choice) === JSON.stringify(b.choice) && a.choice !== undefined;

/**
 * V2: the archs sampled from the final P_α — supernet accuracy (shared weights) against
 * FLOPs, and against LUT latency when the search had a table — with the Pareto front and the
 * derived (argmax) arch ringed; a table of them.
 */
export const v2SampledSection: SectionBuilder = {
  id: 'sampled',
  title: 'Sampled architectures: accuracy vs FLOPs and latency',
  async build(run) {
    const { view } = v2Context(run);
    const d = view.derived;
    const sampled = view.sampled;
    if (!sampled.length && !d) return missing('no search/arch-sampled or search/arch-derived events: sampling from P_α has not happened yet');
    const useAcc = sampled.some((a) => isNum(a.supernetAccuracy)) || isNum(d?.supernetAccuracy);
    const yOf = (a: V2ArchView) => (useAcc ? (isNum(a.supernetAccuracy) ? a.supernetAccuracy * 100 : NaN) : isNum(a.probability) ? a.probability : NaN);
    const tip = (a: V2ArchView) =>
      `${v2ArchText(a)}\n${siCount(a.flops)} FLOPs · ${siCount(a.params)} params${isNum(a.latencyMs) ? ` · ${ms(a.latencyMs)} ms` : ''} · supernet acc ${percent(a.supernetAccuracy)} · P_α ${prob(a.probability)}`;
    const yLabel = useAcc ? 'supernet accuracy %' : 'probability under P_α';
    const chart = (x: (a: V2ArchView) => number | undefined, xLabel: string, xFormat?: string) => {
      const points = sampled.map((a) => ({ x: x(a) ?? NaN, y: yOf(a), label: tip(a) }));
      const dx = d ? x(d) : undefined;
      const highlight = d && isNum(dx) && Number.isFinite(yOf(d)) ? [{ x: dx, y: yOf(d), tag: 'derived', color: '#111111', label: `derived (argmax P_α): ${tip(d)}` }] : [];
      return scatterContent({ points, highlight, pareto: { x: 'min', y: 'max' }, pointsLabel: 'sampled arch', xLabel, yLabel, xFormat, width: 430, height: 260, title: `${sampled.length} sampled arch${sampled.length === 1 ? '' : 's'} · ${xLabel}` });
    };
    const flopsChart = await chart((a) => a.flops, 'FLOPs', '.3~s');
    const hasLat = [...sampled, ...(d ? [d] : [])].some((a) => isNum(a.latencyMs));
    const latChart = hasLat ? await chart((a) => a.latencyMs, 'latency (ms, LUT)') : '';
    if (!flopsChart && !latChart) return missing('sampled archs were logged without FLOPs or latency values');
    let html = grid([flopsChart, latChart].filter(Boolean), 480);
    html += `<p class="lead">${useAcc ? 'Accuracy of the supernet restricted to each arch (shared weights, BN re-estimated, α split): a ranking signal, not the accuracy after training from scratch.' : 'The log has no supernet accuracies for these archs; y is the probability of each arch under P_α.'} The Pareto front is drawn over FLOPs${hasLat ? ' and over LUT latency' : ''}; the derived arch is the argmax of P_α.</p>`;
    // The front of the chart: sampled archs and the derived one (i = -1).
    const front = new Set(paretoFront([...sampled.map((a, i) => ({ x: a.flops ?? NaN, y: yOf(a), i })), ...(d ? [{ x: d.flops ?? NaN, y: yOf(d), i: -1 }] : [])]).map((p) => p.i));
    const ranked = sampled.map((a, i) => ({ a, i })).sort((p, q) => (q.a.supernetAccuracy ?? -1) - (p.a.supernetAccuracy ?? -1) || (p.a.flops ?? 0) - (q.a.flops ?? 0) || p.i - q.i);
    const row = (tag: string, a: V2ArchView, onFront: string) => [tag, v2ArchText(a), siCount(a.flops), siCount(a.params), ms(a.latencyMs), percent(a.supernetAccuracy), prob(a.probability), onFront];
    const rows = [
      ...(d ? [row('derived', d, [front.has(-1) ? 'yes' : '', sampled.some((s) => same(s, d)) ? '(sampled too)' : ''].filter(Boolean).join(' '))] : []),
      ...ranked.slice(0, 12).map(({ a, i }, r) => row(`#${r + 1}`, a, front.has(i) ? 'yes' : '')),
    ];
    html += `<h3>Derived arch and the ${Math.min(12, sampled.length)} best sampled archs by supernet accuracy</h3>`;
    html += `<div class="scroll">${table(['', 'block:width per layer @ resolution', 'FLOPs', 'params', 'LUT ms', 'supernet acc', 'P_α', 'Pareto (FLOPs)'], rows, { numeric: [2, 3, 4, 5, 6], className: 'archs' })}</div>`;
    const note = !d ? 'partial: no search/arch-derived event, nothing highlighted' : undefined;
    return ok(html, note);
  },
};

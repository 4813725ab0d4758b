import { grid, notice, table } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum } from '../run/run-data.ts';
import { archPointText, recipePointText } from '../run/v3-view.ts';
import { ms, percent, siCount } from '../format.ts';
import { paretoFront } from '../charts/pareto-front.ts';
import type { HighlightPoint } from '../charts/scatter-plot.ts';
import { scatterContent } from './scatter.ts';
import { v3Context, type PointCost } from './v3-context.ts';

/**
 * V3: every trained candidate's accuracy (at the early-stopping budget) against its FLOPs and,
 * when the run has a latency table, its LUT latency, with the Pareto fronts; the found arch
 * (the fine stage's winner) ringed at its predicted accuracy.
 */
export const v3ParetoSection: SectionBuilder = {
  id: 'pareto',
  title: 'Trained candidates: accuracy vs FLOPs and latency',
  async build(run) {
    const ctx = v3Context(run);
    const cands = ctx.candidates.filter((c) => isNum(c.accuracy));
    if (!cands.length) return missing('no trained candidates (autotrain/candidate-evaluated events or coarse.json): the coarse stage has not trained any yet');
    if (!ctx.space && !cands.some((c) => isNum(c.flops))) return missing(`the candidates cannot be costed: ${ctx.spaceError ?? 'unknown joint space'}`);
    const group = (it: number | undefined) => (it === 0 ? 'early-stopping set' : `iteration ${it ?? '?'}`);
    const tip = (c: (typeof cands)[number]) =>
      `${c.id} (${group(c.iteration)}): ${percent(c.accuracy)}${isNum(c.predicted) ? `, predicted ${percent(c.predicted)}` : ''}\n${siCount(c.flops)} FLOPs · ${siCount(c.params)} params${isNum(c.latencyMs) ? ` · ${ms(c.latencyMs)} ms` : ''}\n${archPointText(c.point)}\n${recipePointText(c.point)}`;
    const f = ctx.found;
    const testAcc = isNum(run.result?.testAccuracy) ? run.result.testAccuracy : isNum(run.final?.testAccuracy) ? run.final.testAccuracy : undefined;
    const chart = (x: (c: PointCost) => number | undefined, xLabel: string, xFormat?: string) => {
      const fx = f ? x(f) : undefined;
      const highlight: HighlightPoint[] =
        f && isNum(fx) && isNum(f.score)
          ? [{ x: fx, y: f.score * 100, tag: 'found (predicted)', color: '#111111', label: `found arch: predicted ${percent(f.score)}${isNum(testAcc) ? `, test ${percent(testAcc)} after the final training` : ''}\n${archPointText(f.point)}\n${recipePointText(f.point)}` }]
          : [];
      return scatterContent({
        points: cands.map((c) => ({ x: x(c) ?? NaN, y: c.accuracy! * 100, group: group(c.iteration), label: tip(c) })),
        highlight,
        pareto: { x: 'min', y: 'max' },
        paretoPointsOnly: true,
        xLabel,
        xFormat,
        yLabel: 'val accuracy % (early-stopping budget)',
        width: 430,
        height: 280,
        title: `${cands.length} trained candidates · ${xLabel}`,
      });
    };
    const flopsChart = await chart((c) => c.flops, 'FLOPs', '.3~s');
    const latChart = ctx.hasLatency ? await chart((c) => c.latencyMs, 'latency (ms, LUT)') : '';
    let html = grid([flopsChart, latChart].filter(Boolean), 480);
    const k = ctx.view.constraints;
    const limits = [isNum(k?.maxFlops) ? `FLOPs ≤ ${siCount(k.maxFlops)}` : '', isNum(k?.maxParams) ? `params ≤ ${siCount(k.maxParams)}` : '', isNum(k?.maxLatencyMs) ? `latency ≤ ${ms(k.maxLatencyMs)} ms` : ''].filter(Boolean);
    html += `<p class="lead">Accuracy of each candidate at the early-stopping budget on the candidate data, against its cost; the staircase is the Pareto front over the trained candidates. The found arch is the fine stage's winner${limits.length ? ` under ${limits.join(', ')}` : ''}, drawn at its predicted accuracy (it need not be one of the trained candidates). Architectures read: input resolution · stem width · per stage c{width}×{depth} k{kernel} e{expansion} · head width${isNum(testAcc) ? `; after the final training it reached ${percent(testAcc)} test accuracy` : ''}.</p>`;
    if (!ctx.hasLatency) {
      const measured = isNum(run.result?.latencyMs) ? ` The found arch was measured end to end: ${ms(run.result.latencyMs)} ms.` : '';
      html += notice(`No accuracy–latency front: the run has no latency table (run search v3 with --lut <table>), so the candidates have no latency.${measured}`, 'info');
    }
    const front = paretoFront(cands.map((c, i) => ({ x: c.flops ?? NaN, y: c.accuracy!, i })));
    const rows = front
      .slice()
      .reverse()
      .map(({ i }) => {
        const c = cands[i];
        return [c.id, archPointText(c.point), recipePointText(c.point), group(c.iteration), siCount(c.flops), siCount(c.params), ms(c.latencyMs), percent(c.accuracy)];
      });
    if (rows.length) {
      html += `<h3>Pareto front over FLOPs (${rows.length} candidate${rows.length === 1 ? '' : 's'}), most accurate first</h3>`;
      html += `<div class="scroll">${table(['candidate', 'architecture', 'recipe', 'trained in', 'FLOPs', 'params', 'LUT ms', 'val acc'], rows, { numeric: [4, 5, 6, 7], className: 'points' })}</div>`;
    }
    return ok(html);
  },
};

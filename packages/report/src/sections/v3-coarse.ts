import { facts, table } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum } from '../run/run-data.ts';
import { archPointText, recipePointText } from '../run/v3-view.ts';
import { fixed, percent, siCount } from '../format.ts';
import { curvesContent, percentDomain } from './curves.ts';
import { scatterContent } from './scatter.ts';
import { v3Context, type V3Context } from './v3-context.ts';

const pts = (v: number | undefined) => (isNum(v) ? `${fixed(v * 100, 2)} pts` : '–');

interface IterationRow {
  iteration: number;
  trained: number;
  best?: number;
  bestId?: string;
  mean?: number;
  bestSoFar?: number;
  tau?: number;
  rmse?: number;
  trainRmse?: number;
  diverged: number;
}

/** One row per coarse iteration (0 = the early-stopping set), from the candidates and the iteration/fit events. */
function iterationRows(ctx: V3Context): IterationRow[] {
  const v = ctx.view;
  const its = new Set<number>();
  for (const c of v.candidates) if (isNum(c.iteration)) its.add(c.iteration);
  for (const e of v.iterations) if (isNum(e.iteration)) its.add(e.iteration);
  let soFar = -Infinity;
  return [...its]
    .sort((a, b) => a - b)
    .map((it) => {
      const cs = v.candidates.filter((c) => c.iteration === it && isNum(c.accuracy));
      const ended = v.iterations.filter((e) => e.iteration === it).pop();
      const fit = v.fits.filter((f) => f.iteration === it).pop();
      const top = cs.reduce<(typeof cs)[number] | undefined>((b, c) => (!b || c.accuracy! > b.accuracy! ? c : b), undefined);
      const best = isNum(ended?.bestAccuracy) ? ended.bestAccuracy : top?.accuracy;
      if (isNum(best)) soFar = Math.max(soFar, best);
      return {
        iteration: it,
        trained: isNum(ended?.trained) ? ended.trained : cs.length,
        best,
        bestId: ended?.bestId ?? top?.id,
        mean: cs.length ? cs.reduce((a, c) => a + c.accuracy!, 0) / cs.length : undefined,
        bestSoFar: Number.isFinite(soFar) ? soFar : undefined,
        tau: fit?.heldOut?.kendallTau,
        rmse: fit?.heldOut?.rmse,
        trainRmse: fit?.trainRmse,
        diverged: v.candidates.filter((c) => c.iteration === it && c.diverged).length,
      };
    });
}

/**
 * V3 coarse stage (FBNetV3 §3.2): each iteration the predictor ranks a QMC pool, the best
 * (plus some explored) candidates are trained at the early-stopping budget, and the predictor
 * is refitted. Best and mean accuracy per iteration, and how the predictor did on each
 * iteration's candidates before it saw them.
 */
export const v3CoarseSection: SectionBuilder = {
  id: 'coarse',
  title: 'Coarse stage: accuracy per iteration',
  async build(run) {
    const ctx = v3Context(run);
    const rows = iterationRows(ctx);
    if (!rows.length) return missing('no autotrain/candidate-evaluated events: no candidate of the coarse stage has been trained yet');
    const x = (r: IterationRow) => r.iteration;
    const acc = (f: (r: IterationRow) => number | undefined) => rows.map((r) => [x(r), isNum(f(r)) ? f(r)! * 100 : NaN] as [number, number]);
    const best = acc((r) => r.best);
    const xDomain: [number, number] = [rows[0].iteration, Math.max(rows[rows.length - 1].iteration, rows[0].iteration + 1)];
    const html = await curvesContent(
      [
        {
          title: 'Accuracy of the trained candidates',
          xLabel: 'iteration (0 = early-stopping set)',
          yLabel: 'val accuracy %',
          yDomain: percentDomain([...best, ...acc((r) => r.mean)]),
          xDomain,
          series: [
            { name: 'best in iteration', points: best, color: '#4e79a7' },
            { name: 'mean', points: acc((r) => r.mean), color: '#76b7b2' },
            { name: 'best so far', points: acc((r) => r.bestSoFar), color: '#e15759', dashed: true },
          ],
          caption: 'Validation accuracy at the early-stopping budget (the predictor\'s target), per coarse iteration.',
        },
        {
          title: 'Predictor per iteration, before training',
          xLabel: 'iteration',
          yLabel: 'Kendall τ',
          y2Label: 'RMSE (pts)',
          xDomain,
          series: [
            { name: 'held-out τ', points: rows.map((r) => [x(r), r.tau ?? NaN] as [number, number]), color: '#4e79a7' },
            { name: 'held-out RMSE', points: rows.map((r) => [x(r), isNum(r.rmse) ? r.rmse * 100 : NaN] as [number, number]), color: '#f28e2b', axis: 'right' },
            { name: 'train RMSE', points: rows.map((r) => [x(r), isNum(r.trainRmse) ? r.trainRmse * 100 : NaN] as [number, number]), color: '#f28e2b', dashed: true, axis: 'right' },
          ],
          caption: 'τ and RMSE of the predictor on the candidates it picked, predicted before they were trained; the training RMSE after each refit.',
        },
      ],
      420,
    );
    const tbl = table(
      ['iteration', 'trained', 'best acc', 'best candidate', 'mean acc', 'held-out τ', 'RMSE', 'diverged'],
      rows.map((r) => [r.iteration === 0 ? '0 (early-stop set)' : String(r.iteration), String(r.trained), percent(r.best), r.bestId ?? '–', percent(r.mean), fixed(r.tau, 3), pts(r.rmse), r.diverged ? String(r.diverged) : '']),
      { numeric: [1, 2, 4, 5, 6, 7] },
    );
    const total = ctx.view.started?.iterations;
    const last = rows[rows.length - 1].iteration;
    const failed = ctx.view.failedJobs.length;
    const notes = [
      !ctx.view.coarseDone && isNum(total) ? `partial: ${last} of ${total} coarse iterations logged, the coarse stage has not completed` : !ctx.view.coarseDone ? 'partial: the coarse stage has not completed' : '',
      failed ? `${failed} candidate job${failed === 1 ? '' : 's'} failed for good on the queue` : '',
    ].filter(Boolean);
    return ok((html || '') + tbl, notes.length ? notes.join('; ') : undefined);
  },
};

/**
 * V3 predictor (FBNetV3 §3.1, the neural acquisition function): accuracy it predicted for each
 * coarse candidate before that candidate was trained, against the accuracy measured, y = x
 * drawn; τ and RMSE on held-out candidates; the proxy pretraining.
 */
export const v3PredictorSection: SectionBuilder = {
  id: 'predictor',
  title: 'Accuracy predictor: predicted vs measured',
  async build(run) {
    const ctx = v3Context(run);
    const v = ctx.view;
    const cands = ctx.candidates.filter((c) => isNum(c.predicted) && isNum(c.accuracy));
    if (!cands.length && !v.predictor && !v.proxy) return missing('no predicted candidates and no predictor metrics: the coarse stage has not refitted the predictor yet');
    const items = [
      // Fact labels are upper-cased by the stylesheet (τ would read as T): name τ in the value's hint.
      { label: 'Rank correlation', value: fixed(v.predictor?.kendallTau, 3), hint: `Kendall τ, held out${isNum(v.predictor?.n) ? `, n = ${v.predictor.n}` : ''}` },
      { label: 'RMSE', value: pts(v.predictor?.rmse), hint: 'accuracy points' },
      { label: 'Proxy pretraining', value: fixed(v.proxy?.kendallTau, 3), hint: `Kendall τ vs FLOPs${isNum(v.proxy?.samples) ? `, ${v.proxy.samples} archs` : ''}` },
      { label: 'Refits', value: String(v.fits.length), hint: isNum(v.fits[v.fits.length - 1]?.samples) ? `last on ${v.fits[v.fits.length - 1].samples} samples` : undefined },
    ];
    let html = facts(items);
    const chart = await scatterContent({
      points: cands.map((c) => ({
        x: c.predicted! * 100,
        y: c.accuracy! * 100,
        group: `iteration ${c.iteration ?? '?'}`,
        label: `${c.id}: predicted ${percent(c.predicted)}, measured ${percent(c.accuracy)}\n${archPointText(c.point)}\n${recipePointText(c.point)}${isNum(c.flops) ? `\n${siCount(c.flops)} FLOPs` : ''}`,
      })),
      diagonal: true,
      xLabel: 'predicted accuracy %',
      yLabel: 'measured accuracy % (early-stopping budget)',
      width: 420,
      height: 300,
      title: `${cands.length} candidate${cands.length === 1 ? '' : 's'} predicted before training`,
      caption: 'Each coarse iteration picks candidates by predicted accuracy, trains them, then refits the predictor; a point above y = x is a candidate the predictor underrated. The early-stopping set was trained before the predictor was fitted and has no prediction.',
    });
    html += chart || '<p>No candidate has both a prediction and a measured accuracy yet (the early-stopping set is trained before the first fit).</p>';
    return ok(html, cands.length ? undefined : 'no predicted candidates to draw');
  },
};

import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum } from '../run/run-data.ts';
import { fixed, siCount } from '../format.ts';
import { curvesContent, hasPoints, percentDomain, seriesOf } from './curves.ts';
import { v2Context } from './v2-context.ts';

/**
 * V2: the resource the search trades accuracy for — effective FLOPs (and params, and E[LAT]
 * when searching with a latency table) of the masked supernet under P_α — next to the
 * weight- and α-phase losses, per epoch.
 */
export const v2CurvesSection: SectionBuilder = {
  id: 'supernet',
  title: 'Supernet training: effective FLOPs, loss, cross-entropy',
  async build(run) {
    const ctx = v2Context(run);
    const ep = ctx.view.epochs;
    if (!ep.length) return missing('no dmasking/epoch-ended events: the DMasking search did not run or no epoch finished');
    const xDomain: [number, number] = [ep[0].epoch, ep[ep.length - 1].epoch];
    const latency = seriesOf(ep, (e) => e.expectedLatencyMs);
    const acc = seriesOf(ep, (e) => (isNum(e.thetaAccuracy) ? e.thetaAccuracy * 100 : undefined));
    const html = await curvesContent([
      {
        title: 'Effective FLOPs',
        xLabel: 'epoch',
        yLabel: 'FLOPs',
        yFormat: '.3~s',
        xDomain,
        series: [
          { name: 'effective, at P_α', points: seriesOf(ep, (e) => e.effectiveFlops), color: '#4e79a7' },
          { name: 'Gumbel samples (mean)', points: seriesOf(ep, (e) => e.sampledFlops), color: '#76b7b2', dashed: true },
          { name: 'argmax P_α', points: seriesOf(ep, (e) => e.argmaxFlops), color: '#e15759' },
        ],
        caption: 'FLOPs of the supernet with every channel mask and resolution weighted by P_α (effective shapes, FBNetV2 §3), the mean over the epoch\'s Gumbel samples, and the FLOPs of the arch that would be derived if the search stopped here.',
      },
      {
        title: 'Effective params',
        xLabel: 'epoch',
        yLabel: 'params',
        yFormat: '.3~s',
        xDomain,
        series: [{ name: 'effective params', points: seriesOf(ep, (e) => e.effectiveParams), color: '#b07aa1' }],
      },
      ...(hasPoints([{ name: '', points: latency }])
        ? [
            {
              title: 'Expected latency E[LAT]',
              xLabel: 'epoch',
              yLabel: 'ms',
              xDomain,
              series: [{ name: 'E[LAT] at P_α (ms)', points: latency, color: '#f28e2b' }],
              caption: 'LAT under P_α from the latency table of the space (a latency-aware search).',
            },
          ]
        : []),
      {
        title: 'Cross-entropy',
        xLabel: 'epoch',
        yLabel: 'CE',
        xDomain,
        series: [
          { name: 'weight phase', points: seriesOf(ep, (e) => e.weightCe), color: '#4e79a7' },
          { name: 'α phase', points: seriesOf(ep, (e) => e.thetaCe), color: '#e15759' },
        ],
        caption: 'Mean CE of the weight phase (weight split) and of the α phase (α split). α is not trained during warm-up epochs.',
      },
      {
        title: `Resource-aware loss${ctx.resource ? ` (${ctx.resource})` : ''}`,
        xLabel: 'epoch',
        yLabel: 'loss',
        xDomain,
        series: [
          { name: 'weight phase', points: seriesOf(ep, (e) => e.weightLoss), color: '#4e79a7' },
          { name: 'α phase', points: seriesOf(ep, (e) => e.thetaLoss), color: '#e15759' },
        ],
        caption: 'CE times the resource term of the effective cost, as in FBNetV1 eq. 2 with FLOPs, params or E[LAT] in place of latency.',
      },
      {
        title: 'α-split accuracy and temperature',
        xLabel: 'epoch',
        xDomain,
        yLabel: 'accuracy %',
        y2Label: 'temperature τ',
        yFormat: '.0f',
        yDomain: percentDomain(acc),
        series: [
          { name: 'α-split accuracy', points: acc, color: '#59a14f' },
          { name: 'τ', points: seriesOf(ep, (e) => e.temperature), color: '#8c8c8c', dashed: true, axis: 'right' },
        ],
      },
      {
        title: 'Throughput',
        xLabel: 'epoch',
        xDomain,
        yLabel: 'images/s',
        y2Label: 'lr (weights)',
        series: [
          { name: 'images/s', points: seriesOf(ep, (e) => e.imagesPerSec), color: '#76b7b2' },
          { name: 'lr', points: seriesOf(ep, (e) => e.lrWeights), color: '#b07aa1', dashed: true, axis: 'right' },
        ],
      },
    ]);
    if (!html) return missing('supernet epochs were logged without FLOPs or loss values');
    const expected = ctx.view.started?.epochs;
    const note = isNum(expected) && ep.length < expected ? `partial: ${ep.length} of ${expected} supernet epochs logged` : undefined;
    return ok(html, note);
  },
};

import { missing, ok, type SectionBuilder } from './section.ts';
import { fixed } from '../format.ts';
import { curvesContent, seriesOf } from './curves.ts';
import { v1Context } from './v1-context.ts';

/** Entropy in bits of a probability vector (0 · log 0 = 0). */
export function entropyBits(p: readonly number[]): number {
  return p.reduce((a, q) => (q > 0 ? a - q * Math.log2(q) : a), 0);
}

/** One series per searchable layer: H(P_θ) after each epoch. */
function entropySeries(theta: readonly { epoch: number; probs: number[][] }[], labels: readonly string[]) {
  const layers = Math.max(0, ...theta.map((t) => t.probs.length));
  return Array.from({ length: layers }, (_, l) => ({
    name: (labels[l] ?? `L${l}`).replace(/ @\S+$/, ''),
    points: theta.filter((t) => t.probs[l]).map((t) => [t.epoch, entropyBits(t.probs[l])] as [number, number]),
  }));
}

/**
 * V1: the supernet's losses (eq. 2: weight phase and θ phase, total and cross-entropy), the
 * expected latency under P_θ (eq. 9) with the Gumbel temperature, the entropy of each layer's
 * P_θ, and the soft supernet's accuracy on the θ split, per epoch.
 */
export const supernetCurvesSection: SectionBuilder = {
  id: 'supernet',
  title: 'Supernet training: loss, expected latency, temperature',
  async build(run) {
    const ctx = v1Context(run);
    const ep = ctx.view.epochs;
    if (!ep.length) return missing('no supernet/epoch-ended events: the supernet search did not run or no epoch finished');
    // Every panel spans all logged epochs, so panels line up even where a series starts late (θ after warm-up).
    const xDomain: [number, number] = [ep[0].epoch, ep[ep.length - 1].epoch];
    const html = await curvesContent([
      {
        title: 'Cross-entropy',
        xLabel: 'epoch',
        yLabel: 'CE',
        xDomain,
        series: [
          { name: 'weight phase', points: seriesOf(ep, (e) => e.weightCe), color: '#4e79a7' },
          { name: 'θ phase', points: seriesOf(ep, (e) => e.thetaCe), color: '#e15759' },
        ],
        caption: 'Mean CE of the weight phase (train split) and of the θ phase (θ split). θ is not trained during warm-up epochs.',
      },
      {
        title: 'Latency-aware loss (eq. 2)',
        xLabel: 'epoch',
        yLabel: 'loss',
        xDomain,
        series: [
          { name: 'weight phase', points: seriesOf(ep, (e) => e.weightLoss), color: '#4e79a7' },
          { name: 'θ phase', points: seriesOf(ep, (e) => e.thetaLoss), color: '#e15759' },
        ],
        caption: 'L(a, w) = CE(a, w) · α log(LAT(a))^β, with LAT the Gumbel-weighted expectation of eq. 9.',
      },
      {
        title: 'Expected latency (eq. 9) and temperature',
        xLabel: 'epoch',
        xDomain,
        yLabel: 'E[LAT] ms',
        y2Label: 'temperature τ',
        series: [
          { name: 'E[LAT] (ms)', points: seriesOf(ep, (e) => e.latencyMs), color: '#f28e2b' },
          { name: 'τ', points: seriesOf(ep, (e) => e.temperature), color: '#8c8c8c', dashed: true, axis: 'right' },
        ],
        caption: 'Expected latency of an arch sampled from P_θ (eq. 4) after each epoch; τ anneals the Gumbel-softmax.',
      },
      {
        title: 'P_θ entropy per layer',
        xLabel: 'epoch',
        xDomain,
        yLabel: 'entropy (bits)',
        yDomain: [0, Math.max(1, ...ctx.view.theta.flatMap((t) => t.probs.map((r) => Math.log2(r.length))))],
        series: entropySeries(ctx.view.theta, ctx.layerLabels),
        caption: 'Shannon entropy of each layer’s P_θ after every epoch: log2(9) ≈ 3.17 bits is uniform over nine candidates, 0 is one candidate. Falling curves are the search deciding.',
      },
      {
        title: 'Soft supernet accuracy (θ split)',
        xLabel: 'epoch',
        xDomain,
        yLabel: 'accuracy %',
        yFormat: '.0f',
        series: [{ name: 'θ-split accuracy', points: seriesOf(ep, (e) => (typeof e.thetaAccuracy === 'number' ? e.thetaAccuracy * 100 : undefined)), color: '#59a14f' }],
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
    if (!html) return missing('supernet epochs were logged without loss or latency values');
    const expected = ctx.view.started?.epochs;
    const note = typeof expected === 'number' && ep.length < expected ? `partial: ${ep.length} of ${expected} supernet epochs logged` : undefined;
    return ok(html, note);
  },
};

import { ok, missing, type SectionBuilder } from './section.ts';
import { fixed } from '../format.ts';
import { candidateColors } from './candidate-colors.ts';
import { distributionContent } from './distribution.ts';
import { v1Context } from './v1-context.ts';

/**
 * V1: P_θ (softmax of θ, eq. 4) per searchable layer over epochs, one small stacked chart per
 * layer, and the final P_θ as a layer × candidate heatmap with the derived choice outlined.
 */
export const thetaSection: SectionBuilder = {
  id: 'theta',
  title: 'Architecture distribution P_θ per layer',
  async build(run) {
    const ctx = v1Context(run);
    const theta = ctx.view.theta;
    if (!theta.length) {
      return missing(ctx.view.epochs.length ? 'the log has supernet epochs but no supernet/theta events' : 'no supernet/theta events: the supernet search did not run or was stopped before its first epoch ended');
    }
    const nLayers = Math.max(...theta.map((t) => t.probs.length));
    // Column order: union of the layers' candidates; V1 layers normally share one list.
    const categories: string[] = [];
    for (let l = 0; l < nLayers; l++) for (const c of ctx.candidates[l] ?? []) if (!categories.includes(c)) categories.push(c);
    const width = Math.max(...theta.flatMap((t) => t.probs.map((r) => r.length)));
    for (let k = categories.length; k < width; k++) categories.push(`#${k}`);
    const colOf = (l: number, k: number) => {
      const id = ctx.candidates[l]?.[k];
      return id !== undefined ? categories.indexOf(id) : k;
    };
    const panels = Array.from({ length: nLayers }, (_, l) => {
      const values = theta.map((t) => {
        const row = new Array<number>(categories.length).fill(0);
        (t.probs[l] ?? []).forEach((p, k) => (row[colOf(l, k)] = p));
        return row;
      });
      const last = values[values.length - 1];
      const best = last.indexOf(Math.max(...last));
      // Panel titles leave out the input resolution (the heatmap rows below carry it).
      const layer = (ctx.layerLabels[l] ?? `L${l}`).replace(/ @\S+$/, '');
      return { label: `${layer} → ${categories[best]} ${fixed(last[best], 2)}`, x: theta.map((t) => t.epoch), values };
    });
    const marks = Array.from({ length: nLayers }, (_, l) => (ctx.derivedChoice?.[l] !== undefined ? colOf(l, ctx.derivedChoice[l]) : undefined));
    const lastEpoch = theta[theta.length - 1].epoch;
    const html =
      `<p>Share of each candidate in P_θ after every epoch (stacked to 1); the title names the most likely candidate after the last epoch. A layer that converges shows one band taking over.</p>` +
      await distributionContent({
        categories,
        panels,
        colors: candidateColors(categories),
        xLabel: 'epoch',
        integerX: true,
        final: {
          rowLabels: Array.from({ length: nLayers }, (_, l) => ctx.layerLabels[l] ?? `L${l}`),
          title: `P_θ after epoch ${lastEpoch}${ctx.derivedChoice ? ' (outlined: derived arch)' : ''}`,
          marks,
          legendLabel: 'P_θ',
        },
      });
    const expected = ctx.view.started?.epochs;
    const note = typeof expected === 'number' && theta.length < expected ? `partial: θ logged for ${theta.length} of ${expected} epochs (run stopped or still running)` : undefined;
    return ok(html, note);
  },
};

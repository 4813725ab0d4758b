import { chartFigure } from '../charts/chart-figure.ts';
import { categorical, type SchemeRange } from '../charts/palette.ts';
import { stackedChart } from '../charts/stacked-chart.ts';
import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum } from '../run/run-data.ts';
import { opKind, OP_KIND_COLORS } from './arch-diagram.ts';
import { fixed } from '../format.ts';
import { distributionContent, type DistributionPanel } from './distribution.ts';
import { derivedValue, layerProbs, v2Context, type V2Context, type V2Dimension } from './v2-context.ts';

const UNIT: Record<V2Dimension, (v: string | number) => string> = {
  ops: (v) => String(v),
  channels: (v) => `${v} ch`,
  expansions: (v) => `e${v}`,
};

/** Small multiples of one dimension's P_α per layer over epochs, on the union of the layers' options. */
interface DimensionPlot {
  categories: string[];
  colors?: string[];
  scheme?: SchemeRange;
  panels: DistributionPanel[];
  rowLabels: string[];
  marks: (number | undefined)[];
  lastEpoch: number;
}

function dimensionPlot(ctx: V2Context, dim: V2Dimension): DimensionPlot | undefined {
  const dists = ctx.view.distributions;
  const layers = Array.from({ length: ctx.layers }, (_, l) => l).filter((l) => dists.some((d) => layerProbs(d, dim, l)));
  if (!layers.length) return undefined;
  // Columns: the union of the layers' options (numbers ascending: narrow → wide reads bottom-up).
  const optsOf = (l: number) => {
    const o = ctx.options(dim, l);
    const width = Math.max(0, ...dists.map((d) => layerProbs(d, dim, l)?.length ?? 0));
    return o && o.length === width ? o : Array.from({ length: width }, (_, k) => o?.[k] ?? `#${k}`);
  };
  const values: (string | number)[] = [];
  for (const l of layers) for (const v of optsOf(l)) if (!values.includes(v)) values.push(v);
  if (values.every((v) => typeof v === 'number')) (values as number[]).sort((a, b) => a - b);
  const categories = values.map(UNIT[dim]);
  // Widths: light = narrow, dark = wide; expansions: light = small, dark = large; ops coloured as the arch diagram colours them.
  const scheme: SchemeRange | undefined = dim === 'channels' ? { name: 'blues', extent: [0.25, 1] } : dim === 'expansions' ? { name: 'viridis', extent: [0.85, 0.15] } : undefined;
  const colors = scheme ? undefined : values.map((v, k) => opColor(ctx, v, k));
  const panels = layers.map((l) => {
    const cols = optsOf(l).map((v) => values.indexOf(v));
    const series = dists.map((d) => {
      // NaN: not an option at this layer (no band; a grey cell in the final heatmap).
      const row = new Array<number>(values.length).fill(NaN);
      (layerProbs(d, dim, l) ?? []).forEach((p, k) => (row[cols[k]] = p));
      return row;
    });
    const last = series[series.length - 1];
    const best = last.reduce((b, v, k) => (Number.isFinite(v) && !(last[b] >= v) ? k : b), cols[0] ?? 0);
    return { label: `${ctx.layerLabels[l] ?? `L${l}`} → ${categories[best]} ${fixed(last[best], 2)}`, x: dists.map((d) => d.epoch), values: series };
  });
  const marks = layers.map((l) => {
    const v = derivedValue(ctx.view.derived, dim, l);
    const k = v === undefined ? -1 : values.indexOf(v);
    return k >= 0 ? k : undefined;
  });
  return { categories, colors, scheme, panels, rowLabels: layers.map((l) => ctx.layerLabels[l] ?? `L${l}`), marks, lastEpoch: dists[dists.length - 1].epoch };
}

/** An op's colour as the arch diagram draws it (k3 blue, k5 orange, skip grey). */
function opColor(ctx: V2Context, v: string | number, k: number): string {
  const op = ctx.space?.candidates[String(v)]?.op ?? (/^k[35](_|$)/.test(String(v)) ? `ir_${v}` : String(v));
  if (op === 'skip') return OP_KIND_COLORS.skip;
  const kind = opKind(op);
  return kind === 'skip' ? categorical(k) : OP_KIND_COLORS[kind];
}

async function dimensionHtml(ctx: V2Context, dim: V2Dimension, what: string): Promise<string | undefined> {
  const p = dimensionPlot(ctx, dim);
  if (!p) return undefined;
  const derived = p.marks.some((m) => m !== undefined);
  return distributionContent({
    categories: p.categories,
    colors: p.colors,
    scheme: p.scheme,
    panels: p.panels,
    xLabel: 'epoch',
    integerX: true,
    final: { title: `P_α over ${what} after epoch ${p.lastEpoch}${derived ? ' (outlined: derived arch; grey: not an option at that layer)' : ' (grey: not an option at that layer)'}`, rowLabels: p.rowLabels, marks: p.marks, legendLabel: 'P_α' },
  });
}

function partialNote(ctx: V2Context): string | undefined {
  const n = ctx.view.distributions.length;
  const expected = ctx.view.started?.epochs;
  return isNum(expected) && n < expected ? `partial: P_α logged for ${n} of ${expected} epochs (run stopped or still running)` : undefined;
}

function noDistributions(ctx: V2Context): string {
  return ctx.view.epochs.length
    ? 'the log has supernet epochs but no dmasking/distributions events'
    : 'no dmasking/distributions events: the DMasking search did not run or was stopped before its first epoch ended';
}

/** The resolution's P_α over epochs as one stacked chart with its own legend. */
async function resolutionHtml(ctx: V2Context): Promise<string | undefined> {
  const dists = ctx.view.distributions.filter((d) => Array.isArray(d.resolution) && d.resolution.length);
  if (!dists.length) return undefined;
  const n = Math.max(...dists.map((d) => d.resolution!.length));
  const res = ctx.resolutions && ctx.resolutions.length === n ? ctx.resolutions : undefined;
  const categories = Array.from({ length: n }, (_, k) => (res ? `${res[k]} px` : `#${k}`));
  const values = dists.map((d) => Array.from({ length: n }, (_, k) => d.resolution![k] ?? 0));
  const last = values[values.length - 1];
  const best = last.indexOf(Math.max(...last));
  const chosen = ctx.view.derived?.resolution;
  const chart = stackedChart({
    categories,
    panels: [{ x: dists.map((d) => d.epoch), values }],
    scheme: { name: 'viridis', extent: [0.2, 0.8] },
    normalize: true,
    width: 420,
    height: 150,
    integerX: true,
    title: `Input resolution → ${categories[best]} ${fixed(last[best], 2)}`,
    xLabel: 'epoch',
    yLabel: 'P_α',
  });
  const caption = `Share of each input resolution in P_α after every epoch.${isNum(chosen) ? ` Derived arch: ${chosen}×${chosen}${res ? ` (the exported model takes ${Math.max(...res)}×${Math.max(...res)} and resizes inside)` : ''}.` : ''}`;
  return chartFigure(chart, caption);
}

/**
 * V2: how the channel masks settled — per searchable layer, P_α over its output widths after
 * every epoch (one stacked chart per layer, light = narrow, dark = wide), the final P_α as a
 * layer × width heatmap with the derived width outlined, and P_α over input resolutions.
 */
export const v2ChannelsSection: SectionBuilder = {
  id: 'channels',
  title: 'Channel widths and resolution: P_α over epochs',
  async build(run) {
    const ctx = v2Context(run);
    if (!ctx.view.distributions.length) return missing(noDistributions(ctx));
    const [widths, res] = await Promise.all([dimensionHtml(ctx, 'channels', 'widths'), resolutionHtml(ctx)]);
    if (!widths && !res) return missing('the distributions events carry neither channel nor resolution probabilities (the space searches neither)');
    let html = '';
    if (widths) {
      html += '<p>Share of each output width in P_α of every searchable layer after every epoch (stacked to 1; light = narrow, dark = wide). The title names the most likely width after the last epoch. DMasking trains every width at once through shared, masked weights, so a layer whose band of wide widths shrinks is being slimmed by the resource term.</p>';
      html += widths;
    } else html += '<p>This space does not search channel widths.</p>';
    html += '<h3>Input resolution</h3>';
    html += res ?? '<p>This space does not search the input resolution.</p>';
    return ok(html, partialNote(ctx));
  },
};

/** V2: P_α over block kinds (k3 / k5 / skip) and expansions per layer over epochs, with the final heatmaps. */
export const v2BlocksSection: SectionBuilder = {
  id: 'blocks',
  title: 'Block and expansion choices: P_α over epochs',
  async build(run) {
    const ctx = v2Context(run);
    if (!ctx.view.distributions.length) return missing(noDistributions(ctx));
    const [ops, exps] = await Promise.all([dimensionHtml(ctx, 'ops', 'blocks'), dimensionHtml(ctx, 'expansions', 'expansions')]);
    if (!ops && !exps) return missing('the distributions events carry neither block nor expansion probabilities');
    let html = '<h3>Block per layer</h3>';
    html += ops ? '<p>Share of each candidate block in P_α after every epoch; colours as in the arch diagram (k3 blue, k5 orange, skip grey).</p>' + ops : '<p>This space has one block per layer.</p>';
    html += '<h3>Expansion per layer</h3>';
    html += exps
      ? '<p>Share of each inverted-residual expansion in P_α after every epoch (light = small, dark = large). A layer whose derived block is a skip has no expansion, so nothing is outlined there.</p>' + exps
      : '<p>This space does not search expansions.</p>';
    return ok(html, partialNote(ctx));
  },
};

import { escapeXml } from '@fbnet/html';
import { chartFigure } from '../charts/chart-figure.ts';
import { heatmap } from '../charts/heatmap.ts';
import type { SchemeRange } from '../charts/palette.ts';
import { stackedChart } from '../charts/stacked-chart.ts';
import { fixed } from '../format.ts';

/** One small multiple: how a categorical distribution moves along x (e.g. one layer's P_θ over epochs). */
export interface DistributionPanel {
  label: string;
  x: readonly number[];
  /** values[i][k]: share of category k at x[i] (rows are normalised when drawn). */
  values: readonly (readonly number[])[];
}

export interface DistributionOptions {
  /** Category names; every panel's values are indexed by this list. */
  categories: readonly string[];
  panels: readonly DistributionPanel[];
  colors?: readonly string[];
  /** Colours from a Vega scheme instead of `colors` (light = first category). */
  scheme?: SchemeRange;
  xLabel?: string;
  /** Plot area of one panel in px. */
  panelWidth?: number;
  panelHeight?: number;
  mode?: 'area' | 'bar';
  /** Only integer x ticks (epochs). */
  integerX?: boolean;
  /** Also draw the last distribution of every panel as one heatmap (panels × categories). */
  final?: {
    title: string;
    /** Row labels of the heatmap (default: the panel labels). */
    rowLabels?: readonly string[];
    /** Category index to outline per panel (e.g. the derived choice). */
    marks?: readonly (number | undefined)[];
    legendLabel?: string;
  };
}

/**
 * Reusable section body for "distribution per layer over epochs": V1 P_θ over candidates, V2
 * channel/expansion choices. Small multiples of stacked areas (one faceted chart, one legend)
 * and an optional heatmap of the final distributions.
 */
export async function distributionContent(o: DistributionOptions): Promise<string> {
  const pw = o.panelWidth ?? 190;
  const ph = o.panelHeight ?? 70;
  const chart = stackedChart({
    categories: o.categories,
    panels: o.panels,
    colors: o.colors,
    scheme: o.scheme,
    normalize: true,
    width: pw,
    height: ph,
    columns: Math.max(1, Math.floor(1120 / (pw + 70))),
    mode: o.mode,
    integerX: o.integerX,
    yFormat: '.1f',
  });
  let html = `<div class="scroll">${await chartFigure(chart)}</div>`;
  if (o.xLabel) html += `<p class="lead">x: ${escapeXml(o.xLabel)} · y: share (stacked to 1)</p>`;
  if (o.final) {
    const rows = o.final.rowLabels ?? o.panels.map((p) => p.label);
    const values = o.panels.map((p) => {
      const last = p.values[p.values.length - 1] ?? [];
      const total = last.reduce((a, b) => a + (Number.isFinite(b) && b > 0 ? b : 0), 0);
      return o.categories.map((_, k) => (total > 0 && Number.isFinite(last[k]) ? last[k] / total : undefined));
    });
    const marks = (o.final.marks ?? []).flatMap((m, r) => (m === undefined ? [] : [[r, m] as const]));
    const map = heatmap({ rows, cols: o.categories, values, scheme: 'blues', domain: [0, 1], format: '.1f', cellText: (v) => fixed(v, 2), marks, legendLabel: o.final.legendLabel, cellWidth: 52, cellHeight: 19 });
    html += `<h3>${escapeXml(o.final.title)}</h3>`;
    html += `<div class="scroll">${await chartFigure(map)}</div>`;
  }
  return html;
}

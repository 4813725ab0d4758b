import { figure } from '../html/elements.ts';
import { legend, svgOpen, type LegendItem } from '../svg/frame.ts';
import { heatmap } from '../svg/heatmap.ts';
import { stackedChart } from '../svg/stacked-chart.ts';
import { categorical } from '../svg/colors.ts';
import { escapeXml, fixed } from '../svg/format.ts';

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
  xLabel?: string;
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
 * channel/expansion choices. Small multiples of stacked areas with one shared legend, and an
 * optional heatmap of the final distributions.
 */
export function distributionContent(o: DistributionOptions): string {
  const colors = o.categories.map((_, k) => o.colors?.[k] ?? categorical(k));
  const pw = o.panelWidth ?? 236;
  const ph = o.panelHeight ?? 118;
  const items: LegendItem[] = o.categories.map((c, k) => ({ name: c, color: colors[k], mark: 'box' }));
  const lw = 1100;
  const lg = legend(items, 4, 2, lw - 8);
  const legendSvg = svgOpen(lw, lg.height + 4, 'legend', 'legend') + lg.svg + '</svg>';
  const panels = o.panels.map((p) =>
    figure(
      stackedChart({
        x: p.x,
        categories: o.categories,
        values: p.values,
        colors,
        normalize: true,
        legend: false,
        width: pw,
        height: ph,
        title: p.label,
        mode: o.mode,
        integerX: o.integerX,
        yFormat: (v) => fixed(v, 1),
      }),
    ),
  );
  let html = `<div class="legend-row">${legendSvg}</div>`;
  html += `<div class="grid" style="grid-template-columns: repeat(auto-fill, minmax(${pw}px, 1fr))">${panels.join('')}</div>`;
  if (o.xLabel) html += `<p class="lead">x: ${escapeXml(o.xLabel)} · y: share (stacked to 1)</p>`;
  if (o.final) {
    const rows = o.final.rowLabels ?? o.panels.map((p) => p.label);
    const values = o.panels.map((p) => {
      const last = p.values[p.values.length - 1] ?? [];
      const total = last.reduce((a, b) => a + (Number.isFinite(b) && b > 0 ? b : 0), 0);
      return o.categories.map((_, k) => (total > 0 && Number.isFinite(last[k]) ? last[k] / total : undefined));
    });
    const marks = (o.final.marks ?? []).flatMap((m, r) => (m === undefined ? [] : [[r, m] as const]));
    html += `<h3>${escapeXml(o.final.title)}</h3>`;
    html += `<div class="scroll">${figure(heatmap({ rows, cols: o.categories, values, scheme: 'blues', domain: [0, 1], format: (v) => fixed(v, 2), marks, legendLabel: o.final.legendLabel, cellWidth: 52, cellHeight: 19 }))}</div>`;
  }
  return html;
}

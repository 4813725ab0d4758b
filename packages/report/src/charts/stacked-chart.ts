import type { TopLevelSpec } from 'vega-lite';
import { noDataChart } from './no-data.ts';
import { categorical, type SchemeRange } from './palette.ts';
import type { Chart } from './render.ts';

/** One distribution moving along x, e.g. one layer's P_θ over epochs. */
export interface StackedPanel {
  /** Panel header (small multiples); ignored for a single panel without `title`. */
  label?: string;
  /** Positions along x (e.g. epochs), ascending. */
  x: readonly number[];
  /** values[i][k]: amount of category k at x[i]; missing, NaN or negative amounts count as 0. */
  values: readonly (readonly number[])[];
}

export interface StackedChartOptions {
  categories: readonly string[];
  /** One panel draws one chart; several draw small multiples sharing axes' meaning and one legend. */
  panels: readonly StackedPanel[];
  /** 'area' (default) joins the positions; 'bar' draws one stacked bar per position (also when a panel has one position). */
  mode?: 'area' | 'bar';
  /** Divide each position by its total (shares, 0..1). */
  normalize?: boolean;
  colors?: readonly string[];
  /** Colours sampled from one of Vega's schemes instead (light = first category, e.g. narrow widths); keeps every category. */
  scheme?: SchemeRange;
  /** Size of one panel's plot area in px. */
  width?: number;
  height?: number;
  /** Panels per row (small multiples). */
  columns?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** d3-format string of the y axis. */
  yFormat?: string;
  /** Only integer x ticks (epochs). */
  integerX?: boolean;
}

/**
 * Stacked areas or bars: how a distribution over categories moves along x (P_θ of a layer over
 * epochs, channel choices over epochs). Categories stack bottom-up in the given order; a
 * category that is 0 everywhere is left out of the legend.
 */
export function stackedChart(o: StackedChartOptions): Chart {
  const label = o.title ?? 'stacked chart';
  const panels = o.panels.filter((p) => Math.min(p.x.length, p.values.length) > 0);
  if (!panels.length || !o.categories.length) return noDataChart(label, o.width, o.height);
  const rows = panels.flatMap((p, pi) => {
    const n = Math.min(p.x.length, p.values.length);
    return Array.from({ length: n }, (_, i) => {
      const amounts = o.categories.map((_, k) => {
        const v = p.values[i][k];
        return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
      });
      const total = amounts.reduce((a, b) => a + b, 0);
      return amounts.map((v, k) => ({ p: p.label ?? String(pi), x: p.x[i], k, c: o.categories[k], v: o.normalize && total > 0 ? v / total : v }));
    }).flat();
  });
  const used = o.categories.map((_, k) => !!o.scheme || rows.some((r) => r.k === k && r.v > 0));
  const data = rows.filter((r) => used[r.k]);
  const domain = o.categories.filter((_, k) => used[k]);
  const range = o.categories.map((_, k) => o.colors?.[k] ?? categorical(k)).filter((_, k) => used[k]);
  const bar = o.mode === 'bar' || panels.every((p) => Math.min(p.x.length, p.values.length) === 1);
  const encoding = {
    x: bar
      ? { field: 'x', type: 'ordinal', title: o.xLabel ?? null, axis: { labelAngle: 0 } }
      : { field: 'x', type: 'quantitative', title: o.xLabel ?? null, scale: { nice: false, zero: false }, axis: { tickMinStep: o.integerX ? 1 : undefined, grid: false } },
    y: { field: 'v', type: 'quantitative', stack: 'zero', title: o.yLabel ?? null, scale: o.normalize ? { domain: [0, 1] } : {}, axis: { format: o.yFormat, tickCount: 3 } },
    // Vega-Lite stacks the colour domain top-down: the domain goes in reversed so the categories stack bottom-up as given,
    // and the legend lists them as given.
    color: {
      field: 'c',
      type: 'nominal',
      scale: o.scheme
        ? { domain: [...domain].reverse(), scheme: { name: o.scheme.name, extent: [...(o.scheme.extent ?? [0, 1])].reverse() } }
        : { domain: [...domain].reverse(), range: [...range].reverse() },
      legend: { title: null, values: domain },
    },
  };
  // Bars: one item per positive amount, its tooltip the amount; areas: one path per category (a path mark groups by its
  // description, so an area's is the category alone).
  const values = data.filter((r) => !bar || r.v > 0).map((r) => ({ ...r, d: bar ? `${r.c} @ ${r.x}: ${Number(r.v.toPrecision(3))}` : r.c }));
  (encoding as Record<string, unknown>).description = { field: 'd' };
  const unit = { name: 'layers', mark: bar ? { type: 'bar' } : { type: 'area', line: false, stroke: '#ffffff', strokeWidth: 0.4 }, encoding };
  const size = { width: o.width ?? 300, height: o.height ?? 150 };
  const faceted = panels.length > 1 || (panels[0].label !== undefined && !o.title);
  const spec = (
    faceted
      ? {
          ...(o.title ? { title: o.title } : {}),
          data: { values },
          facet: { field: 'p', type: 'nominal', sort: panels.map((p, i) => p.label ?? String(i)), header: { title: null } },
          columns: o.columns ?? 4,
          spec: { ...size, ...unit },
          resolve: { axis: { x: 'independent', y: 'independent' } },
        }
      : { ...size, ...(o.title ? { title: o.title } : {}), data: { values }, ...unit }
  ) as unknown as TopLevelSpec;
  return { spec, label, kind: 'stacked' };
}

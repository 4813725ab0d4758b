import { categorical } from './colors.ts';
import { axisBottom, axisLeft, chartTitle, emptyChart, legend, legendHeight, svgOpen, type LegendItem, type PlotArea } from './frame.ts';
import { escapeXml, num } from './format.ts';
import { linearScale, niceTicks } from './scale.ts';

export interface StackedChartOptions {
  /** Positions along x (e.g. epochs), ascending. */
  x: readonly number[];
  categories: readonly string[];
  /** values[i][k]: amount of category k at x[i]; missing or negative amounts count as 0. */
  values: readonly (readonly number[])[];
  /** 'area' (default) joins the positions; 'bar' draws one stacked bar per position. */
  mode?: 'area' | 'bar';
  /** Divide each position by its total (shares, 0..1). */
  normalize?: boolean;
  colors?: readonly string[];
  /** Draw the legend (off for small multiples that share one legend). */
  legend?: boolean;
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  yFormat?: (v: number) => string;
  xFormat?: (v: number) => string;
  /** Only integer x ticks (epochs). */
  integerX?: boolean;
}

/**
 * Stacked areas or bars: how a distribution over categories moves along x (P_θ of one layer
 * over epochs, channel choices over epochs). Categories stack bottom-up in the given order.
 */
export function stackedChart(o: StackedChartOptions): string {
  const width = o.width ?? 480;
  const height = o.height ?? 240;
  const label = o.title ?? 'stacked chart';
  const n = Math.min(o.x.length, o.values.length);
  if (!n || !o.categories.length) return emptyChart(width, height, label, 'no data');
  const colorOf = (k: number) => o.colors?.[k] ?? categorical(k);
  const rows = o.values.slice(0, n).map((row) => {
    const r = o.categories.map((_, k) => {
      const v = row[k];
      return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
    });
    const total = r.reduce((a, b) => a + b, 0);
    return o.normalize && total > 0 ? r.map((v) => v / total) : r;
  });
  const tops = rows.map((r) => r.reduce((a, b) => a + b, 0));
  const showLegend = o.legend ?? true;
  const items: LegendItem[] = o.categories.map((c, k) => ({ name: c, color: colorOf(k), mark: 'box' }));
  const compact = height < 160;
  const top = (o.title ? (compact ? 20 : 26) : 8) + (showLegend ? legendHeight(items, width - 60) : 0);
  const area: PlotArea = { x0: compact ? 34 : 52, x1: width - 10, y0: top + 4, y1: height - (o.xLabel ? 38 : compact ? 20 : 26) };
  const bar = o.mode === 'bar' || n === 1;
  const yt = niceTicks(0, o.normalize ? 1 : Math.max(...tops), compact ? 2 : Math.max(2, Math.round((area.y1 - area.y0) / 40)));
  const y = linearScale([0, yt.max], [area.y1, area.y0]);
  const xs = o.x.slice(0, n);
  const slot = (area.x1 - area.x0) / n;
  // Bars sit in equal slots labelled by x; areas map x linearly.
  const x = bar ? (i: number) => area.x0 + slot * (i + 0.5) : (() => {
    const lin = linearScale([xs[0], xs[n - 1]], [area.x0, area.x1]);
    return (i: number) => lin(xs[i]);
  })();

  let s = svgOpen(width, height, label, 'chart stacked') + (compact ? smallTitle(o.title) : chartTitle(o.title, width));
  if (showLegend) s += legend(items, area.x0, o.title ? 24 : 6, width - area.x0 - 10).svg;
  s += axisLeft(y, yt, area, o.yLabel, o.yFormat, !compact);
  const cum = rows.map(() => 0);
  s += '<g class="layers">';
  o.categories.forEach((cat, k) => {
    const lower = [...cum];
    rows.forEach((r, i) => (cum[i] += r[k]));
    if (rows.every((r) => r[k] === 0)) return;
    const tip = `<title>${escapeXml(cat)}</title>`;
    if (bar) {
      const w = Math.max(1, slot * 0.8);
      s += `<g fill="${colorOf(k)}">`;
      rows.forEach((r, i) => {
        if (r[k] <= 0) return;
        s += `<rect x="${num(x(i) - w / 2)}" y="${num(y(cum[i]))}" width="${num(w)}" height="${num(y(lower[i]) - y(cum[i]))}"><title>${escapeXml(`${cat} @ ${fmtX(xs[i], o.xFormat)}: ${fmtV(r[k], o.yFormat)}`)}</title></rect>`;
      });
      s += '</g>';
    } else {
      const upperPts = rows.map((_, i) => `${num(x(i))},${num(y(cum[i]))}`);
      const lowerPts = rows.map((_, i) => `${num(x(i))},${num(y(lower[i]))}`).reverse();
      s += `<polygon points="${[...upperPts, ...lowerPts].join(' ')}" fill="${colorOf(k)}" stroke="#ffffff" stroke-width="0.4">${tip}</polygon>`;
    }
  });
  s += '</g>';
  // Bottom axis: in bar mode ticks are the slots (thinned to fit); in area mode nice ticks over x.
  if (bar) {
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor((area.x1 - area.x0) / 28))));
    s += `<line x1="${num(area.x0)}" x2="${num(area.x1)}" y1="${num(area.y1)}" y2="${num(area.y1)}" stroke="#555555"/>`;
    xs.forEach((v, i) => {
      if (i % every !== 0 && i !== n - 1) return;
      s += `<text x="${num(x(i))}" y="${num(area.y1 + 14)}" text-anchor="middle" fill="#555555">${escapeXml(fmtX(v, o.xFormat))}</text>`;
    });
    if (o.xLabel) s += `<text x="${num((area.x0 + area.x1) / 2)}" y="${num(area.y1 + 30)}" text-anchor="middle" fill="#555555">${escapeXml(o.xLabel)}</text>`;
  } else {
    const xt = niceTicks(xs[0], xs[n - 1], compact ? 3 : Math.max(2, Math.round((area.x1 - area.x0) / 70)), { integer: o.integerX });
    xt.values = xt.values.filter((v) => v >= xs[0] - 1e-9 && v <= xs[n - 1] + 1e-9);
    s += axisBottom(linearScale([xs[0], xs[n - 1]], [area.x0, area.x1]), xt, area, o.xLabel, o.xFormat);
  }
  return s + '</svg>';
}

function smallTitle(title?: string): string {
  return title ? `<text x="34" y="13" font-size="11.5" font-weight="600">${escapeXml(title)}</text>` : '';
}

function fmtX(v: number, f?: (v: number) => string): string {
  return f ? f(v) : String(v);
}

function fmtV(v: number, f?: (v: number) => string): string {
  return f ? f(v) : String(Number(v.toPrecision(4)));
}

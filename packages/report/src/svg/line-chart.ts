import { categorical } from './colors.ts';
import { axisBottom, axisLeft, axisRight, chartTitle, emptyChart, legend, legendHeight, svgOpen, type LegendItem, type PlotArea } from './frame.ts';
import { escapeXml, num } from './format.ts';
import { extent, linearScale, niceTicks } from './scale.ts';

export interface LineSeries {
  name: string;
  /** [x, y] pairs; a non-finite y breaks the line (a gap, not a drop to zero). */
  points: readonly (readonly [number, number])[];
  color?: string;
  dashed?: boolean;
  /** Plot against the right-hand axis (a second unit, e.g. ms next to a loss). */
  axis?: 'left' | 'right';
  /** Draw a dot at every point (default: when a series has at most 30 points). */
  markers?: boolean;
}

export interface LineChartOptions {
  series: readonly LineSeries[];
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  y2Label?: string;
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  y2Format?: (v: number) => string;
  /** Fix a domain instead of fitting the data (e.g. [0, 1] for accuracies; all epochs for panels side by side). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  y2Domain?: [number, number];
  /** Only integer x ticks (epochs). */
  integerX?: boolean;
}

/** Multi-series line chart with a left (and optional right) y axis, ticks, grid and legend. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 480;
  const height = o.height ?? 260;
  const label = o.title ?? o.yLabel ?? 'line chart';
  const series = o.series.map((s, i) => ({ ...s, color: s.color ?? categorical(i), axis: s.axis ?? 'left' }));
  const finite = (s: (typeof series)[number]) => s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  const dataX = extent(series.flatMap((s) => finite(s).map((p) => p[0])));
  if (!dataX) return emptyChart(width, height, label, 'no data');
  const xs = o.xDomain ?? dataX;
  const yl = o.yDomain ?? extent(series.filter((s) => s.axis === 'left').flatMap((s) => finite(s).map((p) => p[1])));
  const yr = o.y2Domain ?? extent(series.filter((s) => s.axis === 'right').flatMap((s) => finite(s).map((p) => p[1])));
  const hasRight = series.some((s) => s.axis === 'right' && finite(s).length > 0);

  const items: LegendItem[] = series.map((s) => ({ name: s.axis === 'right' && hasRight && yl ? `${s.name} (right)` : s.name, color: s.color, mark: s.dashed ? 'dashed' : 'line' }));
  const showLegend = series.length > 1;
  const top = (o.title ? 26 : 10) + (showLegend ? legendHeight(items, width - 60) : 0);
  const area: PlotArea = { x0: o.yLabel || yl ? 58 : 20, x1: width - (hasRight ? 58 : 16), y0: top + 6, y1: height - (o.xLabel ? 40 : 26) };

  const xt = niceTicks(xs[0], xs[1], Math.max(2, Math.round((area.x1 - area.x0) / 70)), { integer: o.integerX });
  const x = linearScale(xs[0] === xs[1] ? [xt.min, xt.max] : xs, [area.x0, area.x1]);
  if (xs[0] !== xs[1]) xt.values = xt.values.filter((v) => v >= xs[0] - 1e-9 && v <= xs[1] + 1e-9);
  const yCount = Math.max(2, Math.round((area.y1 - area.y0) / 40));
  const ytL = yl ? niceTicks(yl[0], yl[1], yCount) : undefined;
  const ytR = yr && hasRight ? niceTicks(yr[0], yr[1], yCount) : undefined;
  const yL = ytL ? linearScale([ytL.min, ytL.max], [area.y1, area.y0]) : undefined;
  const yR = ytR ? linearScale([ytR.min, ytR.max], [area.y1, area.y0]) : undefined;

  let s = svgOpen(width, height, label) + chartTitle(o.title, width);
  if (showLegend) s += legend(items, area.x0, o.title ? 24 : 6, width - area.x0 - 10).svg;
  if (yL && ytL) s += axisLeft(yL, ytL, area, o.yLabel, o.yFormat);
  if (yR && ytR) s += axisRight(yR, ytR, area, width, o.y2Label, o.y2Format);
  s += axisBottom(x, xt, area, o.xLabel, o.xFormat);

  for (const ser of series) {
    const y = ser.axis === 'right' ? yR : yL;
    if (!y) continue;
    const segments: string[][] = [[]];
    for (const [px, py] of ser.points) {
      if (!Number.isFinite(px) || !Number.isFinite(py)) {
        if (segments[segments.length - 1].length) segments.push([]);
        continue;
      }
      segments[segments.length - 1].push(`${num(x(px))},${num(y(py))}`);
    }
    const dash = ser.dashed ? ' stroke-dasharray="5 4"' : '';
    s += `<g class="series" data-name="${escapeXml(ser.name)}">`;
    for (const seg of segments) {
      if (seg.length > 1) s += `<polyline points="${seg.join(' ')}" fill="none" stroke="${ser.color}" stroke-width="2" stroke-linejoin="round"${dash}/>`;
    }
    const markers = ser.markers ?? ser.points.length <= 30;
    for (const [px, py] of ser.points) {
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      const lone = !segments.some((seg) => seg.length > 1);
      if (markers || lone) {
        s += `<circle cx="${num(x(px))}" cy="${num(y(py))}" r="2.6" fill="${ser.color}"><title>${escapeXml(`${ser.name}: ${fmtPoint(px, py, o, ser.axis)}`)}</title></circle>`;
      }
    }
    s += '</g>';
  }
  return s + '</svg>';
}

function fmtPoint(px: number, py: number, o: LineChartOptions, axis: 'left' | 'right'): string {
  const fx = o.xFormat ? o.xFormat(px) : String(Number(px.toPrecision(6)));
  const f = axis === 'right' ? o.y2Format : o.yFormat;
  const fy = f ? f(py) : String(Number(py.toPrecision(5)));
  return `${fx}, ${fy}`;
}

import type { TopLevelSpec } from 'vega-lite';
import { noDataChart } from './no-data.ts';
import { categorical } from './palette.ts';
import type { Chart } from './render.ts';

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
  /** Size of the plot area in px (axes, legend and title come on top). */
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  y2Label?: string;
  /** d3-format strings, e.g. ".3~s" for counts, ".1f". */
  xFormat?: string;
  yFormat?: string;
  y2Format?: string;
  /** Fix a domain instead of fitting the data (e.g. all epochs for panels side by side). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  y2Domain?: [number, number];
  /** Only integer x ticks (epochs). */
  integerX?: boolean;
}

const finite = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]);

/** True when at least one series has a finite point. */
export function hasPoints(series: readonly LineSeries[]): boolean {
  return series.some((s) => s.points.some(finite));
}

/**
 * Multi-series line chart: one colour (and dash) per series with a legend when there are
 * several, a left and an optional right y axis (independent scales), gaps at non-finite values.
 */
export function lineChart(o: LineChartOptions): Chart {
  const label = o.title ?? o.yLabel ?? 'line chart';
  const hasRightAxis = o.series.some((s) => s.axis === 'right' && s.points.some(finite));
  // A right axis takes room outside the plot: the plot gives it back so the chart keeps its footprint.
  const width = (o.width ?? 300) - (hasRightAxis ? 40 : 0);
  const height = o.height ?? 150;
  if (!hasPoints(o.series)) return noDataChart(label, width, height);
  const hasLeft = o.series.some((s) => s.axis !== 'right' && s.points.some(finite));
  const names = o.series.map((s) => (s.axis === 'right' && hasLeft ? `${s.name} (right)` : s.name));
  const rows = o.series.flatMap((s, i) => {
    const markers = s.markers ?? s.points.length <= 30;
    const runs = s.points.map((p, j) => finite(p) && (j === 0 || !finite(s.points[j - 1])) && (j === s.points.length - 1 || !finite(s.points[j + 1])));
    return s.points
      .map((p, j) => ({
        s: names[i],
        a: s.axis === 'right' ? 1 : 0,
        x: p[0],
        y: Number.isFinite(p[1]) ? p[1] : null,
        // A lone point (no neighbour to join) is drawn as a dot even where markers are off.
        m: Number.isFinite(p[1]) && (markers || runs[j]) ? 1 : 0,
        d: `${s.name}: ${num(p[0])}, ${num(p[1])}`,
      }))
      .filter((r) => Number.isFinite(r.x));
  });
  // One legend for colour and dash (same field, same legend: dashed series show dashed keys).
  const legend = o.series.length > 1 ? { title: null, symbolType: 'stroke', columns: Math.max(1, Math.floor(width / 120)), labelLimit: 110 } : null;
  const color = { field: 's', type: 'nominal', scale: { domain: names, range: o.series.map((s, i) => s.color ?? categorical(i)) }, legend };
  const strokeDash = { field: 's', type: 'nominal', scale: { domain: names, range: o.series.map((s) => (s.dashed ? [5, 4] : [1, 0])) }, legend };
  const x = {
    field: 'x',
    type: 'quantitative',
    title: o.xLabel ?? null,
    scale: o.xDomain && o.xDomain[0] !== o.xDomain[1] ? { domain: o.xDomain, nice: false, zero: false } : { zero: false },
    axis: { format: o.xFormat, tickMinStep: o.integerX ? 1 : undefined, grid: false },
  };
  const layers = (axis: 0 | 1) => {
    const domain = axis ? o.y2Domain : o.yDomain;
    const y = {
      field: 'y',
      type: 'quantitative',
      title: (axis ? o.y2Label : o.yLabel) ?? null,
      scale: domain ? { domain, zero: false, nice: true } : { zero: false, nice: true },
      axis: { format: axis ? o.y2Format : o.yFormat, orient: axis ? 'right' : 'left', grid: !axis },
    };
    return [
      {
        name: axis ? 'series_right' : 'series',
        transform: [{ filter: `datum.a === ${axis}` }],
        mark: { type: 'line', strokeWidth: 2, strokeJoin: 'round', invalid: 'break-paths-show-path-domains' },
        encoding: { x, y, color, strokeDash, detail: { field: 's' } },
      },
      {
        name: axis ? 'markers_right' : 'markers',
        transform: [{ filter: `datum.a === ${axis} && datum.m === 1` }],
        mark: { type: 'circle', size: 24, opacity: 1 },
        encoding: { x, y, color, description: { field: 'd' } },
      },
    ];
  };
  const spec = {
    width,
    height,
    ...(o.title ? { title: o.title } : {}),
    data: { values: rows },
    layer: [...(hasLeft ? layers(0) : []), ...(hasRightAxis ? layers(1) : [])],
    ...(hasLeft && hasRightAxis ? { resolve: { scale: { y: 'independent' } } } : {}),
  } as unknown as TopLevelSpec;
  return { spec, label, kind: 'line' };
}

function num(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(5))) : '–';
}

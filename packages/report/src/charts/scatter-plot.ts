import type { TopLevelSpec } from 'vega-lite';
import { noDataChart } from './no-data.ts';
import { categorical } from './palette.ts';
import { paretoFront, type ParetoSense } from './pareto-front.ts';
import type { Chart } from './render.ts';

export interface ScatterPoint {
  x: number;
  y: number;
  /** Tooltip text. */
  label?: string;
  /** Points of one group share a colour and a legend entry. */
  group?: string;
}

export interface HighlightPoint extends ScatterPoint {
  /** Text drawn next to the point (and its legend entry). */
  tag?: string;
  color?: string;
}

export interface ScatterOptions {
  points: readonly ScatterPoint[];
  /** Drawn on top, larger, ringed and tagged (e.g. the derived arch). */
  highlight?: readonly HighlightPoint[];
  /** Draw the Pareto front of all points (highlights included) as a step line. */
  pareto?: boolean | ParetoSense;
  /** Leave the highlights out of the front (e.g. V3's found arch at a *predicted* accuracy among measured candidates). */
  paretoPointsOnly?: boolean;
  /** Legend entry of ungrouped points (default "N points"). */
  pointsLabel?: string;
  /** Draw y = x (predicted vs measured); both axes then share one domain. */
  diagonal?: boolean;
  /** Size of the plot area in px. */
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** d3-format strings. */
  xFormat?: string;
  yFormat?: string;
}

export const PARETO_COLOR = '#d62728';
const DIAGONAL_COLOR = '#888888';
const ok = (p: { x: number; y: number }) => Number.isFinite(p.x) && Number.isFinite(p.y);

/**
 * Scatter plot with one legend for everything drawn: point groups, tagged highlights (ringed,
 * labelled), the Pareto front as a staircase (between two front points the attainable region
 * is a step, not a chord) and a y = x diagonal.
 */
export function scatterPlot(o: ScatterOptions): Chart {
  const label = o.title ?? 'scatter plot';
  const width = o.width ?? 480;
  const height = o.height ?? 260;
  const hl = (o.highlight ?? []).filter(ok);
  const points = o.points.filter(ok);
  if (!points.length && !hl.length) return noDataChart(label, width, height);

  const groups = [...new Set(o.points.map((p) => p.group ?? ''))];
  const grouped = groups.length > 1 || groups[0] !== '';
  const groupName = (g: string) => (grouped ? g || 'other' : (o.pointsLabel ?? `${points.length} point${points.length === 1 ? '' : 's'}`));
  const sense: ParetoSense = typeof o.pareto === 'object' ? o.pareto : { x: 'min', y: 'max' };
  const front = o.pareto ? paretoFront(o.paretoPointsOnly ? points : [...points, ...hl], sense) : [];
  const tagged = hl.filter((h) => h.tag);

  // The legend: one entry per group, tagged highlight, the front and the diagonal.
  const legend: { name: string; color: string }[] = [
    ...(grouped ? groups : ['']).map((g, i) => ({ name: groupName(g), color: categorical(i) })),
    ...tagged.map((h) => ({ name: h.tag!, color: h.color ?? '#111111' })),
    ...(front.length > 1 ? [{ name: 'Pareto front', color: PARETO_COLOR }] : []),
    ...(o.diagonal ? [{ name: 'y = x', color: DIAGONAL_COLOR }] : []),
  ];
  const color = { field: 'k', type: 'nominal', scale: { domain: legend.map((l) => l.name), range: legend.map((l) => l.color) }, legend: { title: null } };

  let xDomain: [number, number] | undefined;
  let yDomain: [number, number] | undefined;
  if (o.diagonal) {
    const all = [...points, ...hl].flatMap((p) => [p.x, p.y]);
    xDomain = yDomain = [Math.min(...all), Math.max(...all)];
  }
  const x = { field: 'x', type: 'quantitative', title: o.xLabel ?? null, scale: { zero: false, nice: true, ...(xDomain ? { domain: xDomain } : {}) }, axis: { format: o.xFormat } };
  const y = { field: 'y', type: 'quantitative', title: o.yLabel ?? null, scale: { zero: false, nice: true, ...(yDomain ? { domain: yDomain } : {}) }, axis: { format: o.yFormat } };
  const tip = (p: ScatterPoint) => p.label ?? `${num(p.x)}, ${num(p.y)}`;

  const layer: unknown[] = [];
  if (o.diagonal && xDomain) {
    layer.push({
      name: 'diagonal',
      data: { values: [{ x: xDomain[0], y: xDomain[0], x2: xDomain[1], y2: xDomain[1], k: 'y = x' }] },
      mark: { type: 'rule', strokeDash: [5, 4], strokeWidth: 1.2 },
      encoding: { x, y, x2: { field: 'x2' }, y2: { field: 'y2' }, color },
    });
  }
  layer.push({
    name: 'points',
    data: { values: points.map((p) => ({ x: p.x, y: p.y, k: groupName(p.group ?? ''), d: tip(p) })) },
    mark: { type: 'circle', size: 60, opacity: 0.75, stroke: '#ffffff', strokeWidth: 0.6 },
    encoding: { x, y, color, description: { field: 'd' } },
  });
  if (front.length > 1) {
    layer.push({
      name: 'pareto',
      data: { values: front.map((p) => ({ x: p.x, y: p.y, k: 'Pareto front' })) },
      // Lower x better: a point's y holds until the next point's x (step-after); higher x better: the next y holds from the previous x.
      mark: { type: 'line', interpolate: sense.x === 'min' ? 'step-after' : 'step-before', strokeWidth: 1.8, strokeDash: [5, 3] },
      encoding: { x, y, color, order: { field: 'x' } },
    });
  }
  if (hl.length) {
    const values = hl.map((h, i) => ({ x: h.x, y: h.y, k: h.tag ?? '', t: h.tag ?? '', c: h.color ?? '#111111', d: tip(h), i }));
    // Highlights keep their own colour; their tags are in the legend through the shared scale's domain.
    const fixedColor = { field: 'c', type: 'nominal', scale: null, legend: null };
    layer.push(
      {
        name: 'highlight',
        data: { values },
        mark: { type: 'point', shape: 'circle', size: 190, filled: false, strokeWidth: 2.2 },
        encoding: { x, y, color: fixedColor, description: { field: 'd' } },
      },
      {
        name: 'highlight_dot',
        data: { values },
        mark: { type: 'circle', size: 28, opacity: 1 },
        encoding: { x, y, color: fixedColor },
      },
    );
    if (tagged.length) {
      layer.push({
        name: 'highlight_tag',
        data: { values: values.filter((v) => v.t) },
        mark: { type: 'text', align: 'left', dx: 10, dy: -10, fontWeight: 600, fontSize: 11.5 },
        encoding: { x, y, text: { field: 't' }, color: fixedColor },
      });
    }
  }
  const spec = { width, height, ...(o.title ? { title: o.title } : {}), layer } as unknown as TopLevelSpec;
  return { spec, label, kind: 'scatter' };
}

function num(v: number): string {
  return String(Number(v.toPrecision(5)));
}

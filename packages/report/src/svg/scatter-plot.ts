import { categorical } from './colors.ts';
import { axisBottom, axisLeft, chartTitle, emptyChart, legend, legendHeight, svgOpen, text, type LegendItem, type PlotArea } from './frame.ts';
import { escapeXml, num } from './format.ts';
import { paretoFront, type ParetoSense } from './pareto.ts';
import { extent, linearScale, niceTicks } from './scale.ts';

export interface ScatterPoint {
  x: number;
  y: number;
  /** Tooltip text (native SVG <title>, no script). */
  label?: string;
  /** Points of one group share a colour and a legend entry. */
  group?: string;
}

export interface HighlightPoint extends ScatterPoint {
  /** Text drawn next to the point. */
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
  /** Draw y = x (predicted vs measured). */
  diagonal?: boolean;
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  xDomain?: [number, number];
  yDomain?: [number, number];
}

const PARETO_COLOR = '#d62728';

/** Scatter plot with optional highlighted points, a Pareto front line and a y = x diagonal. */
export function scatterPlot(o: ScatterOptions): string {
  const width = o.width ?? 480;
  const height = o.height ?? 300;
  const label = o.title ?? 'scatter plot';
  const hl = o.highlight ?? [];
  const all = [...o.points, ...hl].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (!all.length) return emptyChart(width, height, label, 'no data');

  const groups = [...new Set(o.points.map((p) => p.group ?? ''))];
  const colorOf = new Map(groups.map((g, i) => [g, categorical(i)]));
  const front = o.pareto ? paretoFront(o.paretoPointsOnly ? o.points : all, o.pareto === true ? undefined : o.pareto) : [];
  const items: LegendItem[] = [];
  if (groups.length > 1 || groups[0] !== '') groups.forEach((g) => items.push({ name: g || 'other', color: colorOf.get(g)!, mark: 'dot' }));
  else items.push({ name: o.pointsLabel ?? `${o.points.length} point${o.points.length === 1 ? '' : 's'}`, color: colorOf.get('')!, mark: 'dot' });
  for (const h of hl) if (h.tag) items.push({ name: h.tag, color: h.color ?? '#111111', mark: 'ring' });
  if (front.length > 1) items.push({ name: 'Pareto front', color: PARETO_COLOR, mark: 'dashed' });
  if (o.diagonal) items.push({ name: 'y = x', color: '#888888', mark: 'dashed' });

  const top = (o.title ? 26 : 10) + legendHeight(items, width - 70);
  const area: PlotArea = { x0: 62, x1: width - 16, y0: top + 6, y1: height - (o.xLabel ? 40 : 26) };
  let xe = o.xDomain ?? extent(all.map((p) => p.x))!;
  let ye = o.yDomain ?? extent(all.map((p) => p.y))!;
  if (o.diagonal && !o.xDomain && !o.yDomain) xe = ye = [Math.min(xe[0], ye[0]), Math.max(xe[1], ye[1])];
  const xt = niceTicks(xe[0], xe[1], Math.max(2, Math.round((area.x1 - area.x0) / 70)));
  const yt = niceTicks(ye[0], ye[1], Math.max(2, Math.round((area.y1 - area.y0) / 40)));
  const x = linearScale([xt.min, xt.max], [area.x0, area.x1]);
  const y = linearScale([yt.min, yt.max], [area.y1, area.y0]);

  let s = svgOpen(width, height, label) + chartTitle(o.title, width);
  s += legend(items, area.x0, o.title ? 24 : 6, width - area.x0 - 10).svg;
  s += axisLeft(y, yt, area, o.yLabel, o.yFormat);
  s += axisBottom(x, xt, area, o.xLabel, o.xFormat, true);
  if (o.diagonal) {
    const lo = Math.max(xt.min, yt.min);
    const hi = Math.min(xt.max, yt.max);
    if (hi > lo) s += `<line x1="${num(x(lo))}" y1="${num(y(lo))}" x2="${num(x(hi))}" y2="${num(y(hi))}" stroke="#888888" stroke-dasharray="5 4"/>`;
  }
  const tip = (p: ScatterPoint) => `<title>${escapeXml(p.label ?? `${fmt(p.x, o.xFormat)}, ${fmt(p.y, o.yFormat)}`)}</title>`;
  s += '<g class="points">';
  for (const p of o.points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    s += `<circle cx="${num(x(p.x))}" cy="${num(y(p.y))}" r="3.5" fill="${colorOf.get(p.group ?? '')}" fill-opacity="0.7" stroke="#ffffff" stroke-width="0.6">${tip(p)}</circle>`;
  }
  s += '</g>';
  if (front.length > 1) {
    // Step line: between two front points the attainable region is a staircase, not a chord.
    const sense = o.pareto === true ? { x: 'min', y: 'max' } : (o.pareto as ParetoSense);
    const pts: string[] = [];
    front.forEach((p, i) => {
      if (i > 0) {
        const prev = front[i - 1];
        // Lower x better: a point's y holds until the next point's x (corner under/over it);
        // higher x better: the next point's y already holds from the previous point's x.
        const corner = sense.x === 'min' ? [p.x, prev.y] : [prev.x, p.y];
        pts.push(`${num(x(corner[0]))},${num(y(corner[1]))}`);
      }
      pts.push(`${num(x(p.x))},${num(y(p.y))}`);
    });
    s += `<polyline class="pareto" points="${pts.join(' ')}" fill="none" stroke="${PARETO_COLOR}" stroke-width="1.8" stroke-dasharray="5 3"/>`;
  }
  for (const h of hl) {
    if (!Number.isFinite(h.x) || !Number.isFinite(h.y)) continue;
    const c = h.color ?? '#111111';
    const cx = x(h.x);
    const cy = y(h.y);
    s += `<g class="highlight"><circle cx="${num(cx)}" cy="${num(cy)}" r="7" fill="none" stroke="${c}" stroke-width="2.2">${tip(h)}</circle>`;
    s += `<circle cx="${num(cx)}" cy="${num(cy)}" r="3" fill="${c}"/>`;
    if (h.tag) {
      const right = cx < (area.x0 + area.x1) / 2;
      s += text(cx + (right ? 11 : -11), cy - 9, h.tag, { 'text-anchor': right ? 'start' : 'end', 'font-weight': 600, fill: c });
    }
    s += '</g>';
  }
  return s + '</svg>';
}

function fmt(v: number, f?: (v: number) => string): string {
  return f ? f(v) : String(Number(v.toPrecision(5)));
}

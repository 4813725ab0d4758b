import { escapeXml, num } from './format.ts';
import { tickLabel, type LinearScale, type Ticks } from './scale.ts';

/** Pieces every chart shares: the root element, axes, grid, legend. All output is a string of SVG. */

export interface Margins {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface PlotArea {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const AXIS_COLOR = '#555555';
export const GRID_COLOR = '#e6e6e6';
export const TEXT_COLOR = '#222222';

/** Approximate advance width of text at a font size (no layout engine here): good enough to place legends. */
export function textWidth(s: string, fontSize = 11): number {
  let w = 0;
  for (const ch of s) w += /[MWmw@%]/.test(ch) ? 0.9 : /[A-Z0-9#→×∝]/.test(ch) ? 0.66 : /[ilj.,:;'|!() ]/.test(ch) ? 0.32 : 0.58;
  return w * fontSize;
}

export function svgOpen(width: number, height: number, label: string, cls = 'chart'): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="${escapeXml(cls)}" viewBox="0 0 ${num(width)} ${num(height)}" width="${num(width)}" height="${num(height)}"` +
    ` role="img" aria-label="${escapeXml(label)}" font-family="${escapeXml(FONT)}" font-size="11" fill="${TEXT_COLOR}">` +
    `<title>${escapeXml(label)}</title>`
  );
}

export function text(x: number, y: number, s: string, attrs: Record<string, string | number> = {}): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === 'number' ? num(v) : v)}"`)
    .join('');
  return `<text x="${num(x)}" y="${num(y)}"${a}>${escapeXml(s)}</text>`;
}

export function chartTitle(title: string | undefined, width: number): string {
  return title ? text(width / 2, 16, title, { 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 600 }) : '';
}

/** Horizontal grid lines and the left axis with tick labels and a rotated axis label. */
export function axisLeft(y: LinearScale, ticks: Ticks, area: PlotArea, label?: string, format?: (v: number) => string, grid = true): string {
  const fmt = format ?? ((v: number) => tickLabel(v, ticks));
  let s = '';
  for (const v of ticks.values) {
    const py = y(v);
    if (grid) s += `<line x1="${num(area.x0)}" x2="${num(area.x1)}" y1="${num(py)}" y2="${num(py)}" stroke="${GRID_COLOR}"/>`;
    s += `<line x1="${num(area.x0 - 4)}" x2="${num(area.x0)}" y1="${num(py)}" y2="${num(py)}" stroke="${AXIS_COLOR}"/>`;
    s += text(area.x0 - 6, py + 3.5, fmt(v), { 'text-anchor': 'end', fill: AXIS_COLOR });
  }
  s += `<line x1="${num(area.x0)}" x2="${num(area.x0)}" y1="${num(area.y0)}" y2="${num(area.y1)}" stroke="${AXIS_COLOR}"/>`;
  if (label) {
    const cy = (area.y0 + area.y1) / 2;
    s += text(12, cy, label, { 'text-anchor': 'middle', transform: `rotate(-90 12 ${num(cy)})`, fill: AXIS_COLOR });
  }
  return s;
}

/** The right axis (a second y scale), ticks and a rotated label; no grid. */
export function axisRight(y: LinearScale, ticks: Ticks, area: PlotArea, width: number, label?: string, format?: (v: number) => string): string {
  const fmt = format ?? ((v: number) => tickLabel(v, ticks));
  let s = `<line x1="${num(area.x1)}" x2="${num(area.x1)}" y1="${num(area.y0)}" y2="${num(area.y1)}" stroke="${AXIS_COLOR}"/>`;
  for (const v of ticks.values) {
    const py = y(v);
    s += `<line x1="${num(area.x1)}" x2="${num(area.x1 + 4)}" y1="${num(py)}" y2="${num(py)}" stroke="${AXIS_COLOR}"/>`;
    s += text(area.x1 + 6, py + 3.5, fmt(v), { 'text-anchor': 'start', fill: AXIS_COLOR });
  }
  if (label) {
    const cx = width - 10;
    const cy = (area.y0 + area.y1) / 2;
    s += text(cx, cy, label, { 'text-anchor': 'middle', transform: `rotate(90 ${num(cx)} ${num(cy)})`, fill: AXIS_COLOR });
  }
  return s;
}

export function axisBottom(x: LinearScale, ticks: Ticks, area: PlotArea, label?: string, format?: (v: number) => string, grid = false): string {
  const fmt = format ?? ((v: number) => tickLabel(v, ticks));
  let s = `<line x1="${num(area.x0)}" x2="${num(area.x1)}" y1="${num(area.y1)}" y2="${num(area.y1)}" stroke="${AXIS_COLOR}"/>`;
  for (const v of ticks.values) {
    const px = x(v);
    if (grid) s += `<line x1="${num(px)}" x2="${num(px)}" y1="${num(area.y0)}" y2="${num(area.y1)}" stroke="${GRID_COLOR}"/>`;
    s += `<line x1="${num(px)}" x2="${num(px)}" y1="${num(area.y1)}" y2="${num(area.y1 + 4)}" stroke="${AXIS_COLOR}"/>`;
    s += text(px, area.y1 + 16, fmt(v), { 'text-anchor': 'middle', fill: AXIS_COLOR });
  }
  if (label) s += text((area.x0 + area.x1) / 2, area.y1 + 32, label, { 'text-anchor': 'middle', fill: AXIS_COLOR });
  return s;
}

export interface LegendItem {
  name: string;
  color: string;
  /** How the key is drawn: a line (optionally dashed), a filled box, or a dot. */
  mark?: 'line' | 'dashed' | 'box' | 'dot' | 'ring';
}

/** Legend rows that wrap within `maxWidth`; returns the SVG and the height it takes. */
export function legend(items: readonly LegendItem[], x: number, y: number, maxWidth: number): { svg: string; height: number } {
  if (!items.length) return { svg: '', height: 0 };
  const rowH = 16;
  let cx = x;
  let cy = y;
  let s = '';
  for (const it of items) {
    const w = 18 + textWidth(it.name) + 14;
    if (cx > x && cx + w > x + maxWidth) {
      cx = x;
      cy += rowH;
    }
    const my = cy + 8;
    switch (it.mark ?? 'line') {
      case 'box':
        s += `<rect x="${num(cx)}" y="${num(my - 5)}" width="12" height="10" fill="${it.color}"/>`;
        break;
      case 'dot':
        s += `<circle cx="${num(cx + 6)}" cy="${num(my)}" r="4" fill="${it.color}"/>`;
        break;
      case 'ring':
        s += `<circle cx="${num(cx + 6)}" cy="${num(my)}" r="5" fill="none" stroke="${it.color}" stroke-width="2"/>`;
        break;
      default:
        s += `<line x1="${num(cx)}" x2="${num(cx + 14)}" y1="${num(my)}" y2="${num(my)}" stroke="${it.color}" stroke-width="2.5"${it.mark === 'dashed' ? ' stroke-dasharray="4 3"' : ''}/>`;
    }
    s += text(cx + 18, my + 4, it.name);
    cx += w;
  }
  return { svg: s, height: cy - y + rowH + 4 };
}

/** Height a legend will take, to lay out the plot area before drawing it. */
export function legendHeight(items: readonly LegendItem[], maxWidth: number): number {
  return legend(items, 0, 0, maxWidth).height;
}

/** Drawn in place of a plot when there is nothing to draw. */
export function emptyChart(width: number, height: number, label: string, message: string): string {
  return (
    svgOpen(width, height, label) +
    `<rect x="0.5" y="0.5" width="${num(width - 1)}" height="${num(height - 1)}" fill="#fafafa" stroke="${GRID_COLOR}"/>` +
    text(width / 2, height / 2, message, { 'text-anchor': 'middle', fill: AXIS_COLOR }) +
    '</svg>'
  );
}

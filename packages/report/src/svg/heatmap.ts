import { sequential, textOn, type SequentialScheme } from './colors.ts';
import { AXIS_COLOR, chartTitle, emptyChart, svgOpen, text, textWidth } from './frame.ts';
import { escapeXml, num } from './format.ts';
import { extent, linearScale, niceTicks, tickLabel } from './scale.ts';

export interface HeatmapOptions {
  rows: readonly string[];
  cols: readonly string[];
  /** values[row][col]; null, undefined or NaN is a missing cell (drawn hatched grey). */
  values: readonly (readonly (number | null | undefined)[])[];
  scheme?: SequentialScheme;
  /** Colour domain (default: the finite values' extent). */
  domain?: [number, number];
  /** 'log' for positive values spanning orders of magnitude (latencies of a 224 px net); default linear. */
  scale?: 'linear' | 'log';
  format?: (v: number) => string;
  /** Print the value in each cell (default: when cells are wide enough). */
  showValues?: boolean;
  /** Tooltip per cell; default "row · col: value". */
  cellTitle?: (row: number, col: number, v: number | undefined) => string;
  /** Cells to outline (e.g. the chosen candidate per layer). */
  marks?: readonly (readonly [number, number])[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Caption of the colour bar (the unit). */
  legendLabel?: string;
  cellWidth?: number;
  cellHeight?: number;
}

const MISSING = '#eeeeee';

/** Rows × columns of coloured cells with labels, a colour bar and optional outlined cells. */
export function heatmap(o: HeatmapOptions): string {
  const label = o.title ?? 'heatmap';
  const nr = o.rows.length;
  const nc = o.cols.length;
  if (!nr || !nc) return emptyChart(360, 120, label, 'no data');
  const cw = o.cellWidth ?? 46;
  const ch = o.cellHeight ?? 20;
  const val = (r: number, c: number): number | undefined => {
    const v = o.values[r]?.[c];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const finite = o.values.flatMap((row) => row.map((v) => (typeof v === 'number' ? v : NaN)));
  const log = o.scale === 'log';
  const dom = o.domain ?? extent(log ? finite.filter((v) => v > 0) : finite) ?? [log ? 1 : 0, log ? 10 : 1];
  const t = log ? logUnit(dom) : linearScale(dom, [0, 1]);
  const fmt = o.format ?? ((v: number) => String(Number(v.toPrecision(3))));
  const showValues = o.showValues ?? cw >= 34;

  const rowLabelW = Math.ceil(Math.max(...o.rows.map((r) => textWidth(r))) + 10);
  const maxColW = Math.max(...o.cols.map((c) => textWidth(c)));
  const rotate = maxColW > cw - 4;
  const colLabelH = rotate ? Math.ceil(maxColW * 0.71 + 14) : 18;
  const x0 = rowLabelW + (o.yLabel ? 18 : 0);
  const y0 = (o.title ? 26 : 6) + colLabelH + (o.xLabel ? 16 : 0);
  const gridW = nc * cw;
  const gridH = nr * ch;
  const barX = x0 + gridW + 18;
  const width = barX + 12 + 60;
  // The colour bar is at least 60 px tall: a one- or two-row heatmap must not clip it.
  const height = y0 + Math.max(gridH, 60) + 12;

  let s = svgOpen(width, height, label, 'chart heatmap') + chartTitle(o.title, width);
  if (o.xLabel) s += text(x0 + gridW / 2, (o.title ? 26 : 6) + 11, o.xLabel, { 'text-anchor': 'middle', fill: AXIS_COLOR });
  if (o.yLabel) {
    const cy = y0 + gridH / 2;
    s += text(12, cy, o.yLabel, { 'text-anchor': 'middle', transform: `rotate(-90 12 ${num(cy)})`, fill: AXIS_COLOR });
  }
  o.cols.forEach((c, j) => {
    const cx = x0 + j * cw + cw / 2;
    s += rotate
      ? text(cx - 2, y0 - 6, c, { 'text-anchor': 'start', transform: `rotate(-45 ${num(cx - 2)} ${num(y0 - 6)})` })
      : text(cx, y0 - 6, c, { 'text-anchor': 'middle' });
  });
  s += '<g class="cells">';
  for (let r = 0; r < nr; r++) {
    const cy = y0 + r * ch;
    s += text(x0 - 6, cy + ch / 2 + 4, o.rows[r], { 'text-anchor': 'end' });
    for (let c = 0; c < nc; c++) {
      const v = val(r, c);
      const fill = v === undefined ? MISSING : sequential(t(v), o.scheme);
      const tip = o.cellTitle ? o.cellTitle(r, c, v) : `${o.rows[r]} · ${o.cols[c]}: ${v === undefined ? 'missing' : fmt(v)}`;
      const cx = x0 + c * cw;
      s += `<rect x="${num(cx)}" y="${num(cy)}" width="${num(cw)}" height="${num(ch)}" fill="${fill}" stroke="#ffffff" stroke-width="1"><title>${escapeXml(tip)}</title></rect>`;
      if (v === undefined) {
        s += `<line x1="${num(cx + 3)}" y1="${num(cy + ch - 3)}" x2="${num(cx + cw - 3)}" y2="${num(cy + 3)}" stroke="#cccccc"/>`;
      } else if (showValues) {
        s += text(cx + cw / 2, cy + ch / 2 + 3.5, fmt(v), { 'text-anchor': 'middle', 'font-size': 10, fill: textOn(fill), 'pointer-events': 'none' });
      }
    }
  }
  s += '</g>';
  for (const [r, c] of o.marks ?? []) {
    if (r < 0 || r >= nr || c < 0 || c >= nc) continue;
    // Red with a white inner line: visible on the dark and the light ends of every scheme.
    s += `<rect class="mark" x="${num(x0 + c * cw + 1.5)}" y="${num(y0 + r * ch + 1.5)}" width="${num(cw - 3)}" height="${num(ch - 3)}" fill="none" stroke="#e8112d" stroke-width="2.5"/>`;
    s += `<rect x="${num(x0 + c * cw + 3.5)}" y="${num(y0 + r * ch + 3.5)}" width="${num(cw - 7)}" height="${num(ch - 7)}" fill="none" stroke="#ffffff" stroke-width="0.8"/>`;
  }
  s += colourBar(barX, y0, Math.max(gridH, 60), dom, o.scheme, fmt, o.legendLabel, log);
  return s + '</svg>';
}

/** A vertical colour bar of discrete steps (no gradient ids: many charts share one page). */
/** [lo, hi] → [0, 1] on log10 (values ≤ 0 map to 0). */
function logUnit(dom: [number, number]): (v: number) => number {
  const l0 = Math.log10(dom[0]);
  const span = Math.log10(dom[1]) - l0;
  return (v) => (v <= 0 ? 0 : span === 0 ? 0.5 : (Math.log10(v) - l0) / span);
}

/** 1-2-5 ticks per decade inside [lo, hi] (only 1s when that gives enough). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const mults = Math.log10(hi / lo) > 2.5 ? [1] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mults) {
      const v = Number((m * Math.pow(10, e)).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

function colourBar(x: number, y: number, h: number, dom: [number, number], scheme: SequentialScheme | undefined, fmt: (v: number) => string, caption?: string, log = false): string {
  const steps = 24;
  let s = '<g class="colour-bar">';
  for (let i = 0; i < steps; i++) {
    const y1 = y + (h * i) / steps;
    s += `<rect x="${num(x)}" y="${num(y1)}" width="12" height="${num(h / steps + 0.5)}" fill="${sequential(1 - (i + 0.5) / steps, scheme)}"/>`;
  }
  s += `<rect x="${num(x)}" y="${num(y)}" width="12" height="${num(h)}" fill="none" stroke="${AXIS_COLOR}" stroke-width="0.5"/>`;
  if (dom[0] === dom[1]) {
    s += text(x + 16, y + h / 2 + 4, fmt(dom[0]), { fill: AXIS_COLOR });
  } else if (log) {
    const unit = logUnit(dom);
    for (const v of logTicks(dom[0], dom[1])) {
      const ty = y + h - unit(v) * h;
      s += `<line x1="${num(x + 12)}" x2="${num(x + 15)}" y1="${num(ty)}" y2="${num(ty)}" stroke="${AXIS_COLOR}"/>`;
      s += text(x + 17, ty + 3.5, String(v), { fill: AXIS_COLOR, 'font-size': 10 });
    }
  } else {
    const ticks = niceTicks(dom[0], dom[1], Math.max(2, Math.round(h / 40)));
    const ty = linearScale(dom, [y + h, y]);
    for (const v of ticks.values) {
      if (v < dom[0] - 1e-12 || v > dom[1] + 1e-12) continue;
      s += `<line x1="${num(x + 12)}" x2="${num(x + 15)}" y1="${num(ty(v))}" y2="${num(ty(v))}" stroke="${AXIS_COLOR}"/>`;
      s += text(x + 17, ty(v) + 3.5, tickLabel(v, ticks), { fill: AXIS_COLOR, 'font-size': 10 });
    }
  }
  if (caption) s += text(x, y - 6, caption, { fill: AXIS_COLOR, 'font-size': 10 });
  return s + '</g>';
}

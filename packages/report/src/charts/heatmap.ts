import type { TopLevelSpec } from 'vega-lite';
import { noDataChart } from './no-data.ts';
import type { SchemeRange } from './palette.ts';
import type { Chart } from './render.ts';

export interface HeatmapOptions {
  rows: readonly string[];
  cols: readonly string[];
  /** values[row][col]; null, undefined or NaN is a missing cell (drawn grey). */
  values: readonly (readonly (number | null | undefined)[])[];
  scheme?: SchemeRange['name'];
  /** Colour domain (default: the finite values' extent). */
  domain?: [number, number];
  /** 'log' for positive values spanning orders of magnitude (latencies of a 224 px net); default linear. */
  scale?: 'linear' | 'log';
  /** Cell text and colour-bar labels, as a d3-format string. */
  format?: string;
  /** Cell text when it must differ from `format` (e.g. the report's ms precision); default: format's. */
  cellText?: (v: number) => string;
  /** Print the value in each cell (default: when cells are wide enough). */
  showValues?: boolean;
  /** Tooltip per cell; default "row · col: value". */
  cellTitle?: (row: number, col: number, v: number | undefined) => string;
  /** Cells to outline (e.g. the chosen candidate per layer). */
  marks?: readonly (readonly [number, number])[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Title of the colour bar (the unit). */
  legendLabel?: string;
  cellWidth?: number;
  cellHeight?: number;
}

const MISSING = '#eeeeee';
export const MARK_COLOR = '#e8112d';

/** 1-2-5 ticks per decade inside [lo, hi] (only powers of ten when the range spans more than 2.5 decades). */
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

/** Rows × columns of coloured cells with labels, a colour bar and optional outlined cells. */
export function heatmap(o: HeatmapOptions): Chart {
  const label = o.title ?? 'heatmap';
  if (!o.rows.length || !o.cols.length) return noDataChart(label);
  const cw = o.cellWidth ?? 46;
  const ch = o.cellHeight ?? 20;
  const log = o.scale === 'log';
  const val = (r: number, c: number): number | undefined => {
    const v = o.values[r]?.[c];
    return typeof v === 'number' && Number.isFinite(v) && (!log || v > 0) ? v : undefined;
  };
  const finite = o.values.flatMap((row, r) => row.map((_, c) => val(r, c)).filter((v): v is number => v !== undefined));
  const dom = o.domain ?? (finite.length ? [Math.min(...finite), Math.max(...finite)] : [log ? 1 : 0, log ? 10 : 1]);
  const scheme = o.scheme ?? 'viridis';
  // Where on the scheme a value falls (0..1), to print dark text on light cells and light on dark.
  const unit = (v: number) => {
    const [a, b] = log ? [Math.log10(dom[0]), Math.log10(dom[1])] : dom;
    const t = b === a ? 0.5 : ((log ? Math.log10(v) : v) - a) / (b - a);
    return Math.min(1, Math.max(0, t));
  };
  const dark = (v: number) => (scheme === 'viridis' ? unit(v) < 0.55 : unit(v) > 0.55);
  const text = o.cellText ?? ((v: number) => String(Number(v.toPrecision(3))));
  const marked = new Set((o.marks ?? []).map(([r, c]) => `${r},${c}`));
  const cells = o.rows.flatMap((row, r) =>
    o.cols.map((col, c) => {
      const v = val(r, c);
      return {
        r: row,
        c: col,
        v: v ?? null,
        t: v === undefined ? '' : text(v),
        w: v !== undefined && dark(v) ? 1 : 0,
        m: marked.has(`${r},${c}`) ? 1 : 0,
        d: o.cellTitle ? o.cellTitle(r, c, v) : `${row} · ${col}: ${v === undefined ? 'missing' : text(v)}`,
      };
    }),
  );
  const showValues = o.showValues ?? cw >= 34;
  const rotate = Math.max(...o.cols.map((c) => c.length)) * 6.2 > cw - 4;
  const x = { field: 'c', type: 'ordinal', sort: [...o.cols], title: o.xLabel ?? null, axis: { orient: 'top', labelAngle: rotate ? -45 : 0, labelAlign: rotate ? 'left' : 'center', domain: false, ticks: false, labelColor: '#222222', labelFontSize: 10.5 } };
  const y = { field: 'r', type: 'ordinal', sort: [...o.rows], title: o.yLabel ?? null, axis: { domain: false, ticks: false, labelColor: '#222222', labelLimit: 260, labelFontSize: 10.5 } };
  const layer: unknown[] = [
    {
      name: 'missing',
      transform: [{ filter: 'datum.v === null' }],
      mark: { type: 'rect', color: MISSING, stroke: '#ffffff', strokeWidth: 1 },
      encoding: { x, y, description: { field: 'd' } },
    },
    {
      name: 'cells',
      transform: [{ filter: 'datum.v !== null' }],
      mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 1 },
      encoding: {
        x,
        y,
        color: {
          field: 'v',
          type: 'quantitative',
          scale: { type: log ? 'log' : 'linear', scheme, domain: dom, ...(log ? {} : { zero: false, nice: false }) },
          legend: { title: o.legendLabel ?? null, orient: 'right', direction: 'vertical', format: o.format, ...(log ? { values: logTicks(dom[0], dom[1]) } : {}), gradientLength: Math.max(60, Math.min(200, o.rows.length * ch)), gradientThickness: 12 },
        },
        description: { field: 'd' },
      },
    },
  ];
  if (showValues) {
    layer.push({
      name: 'values',
      transform: [{ filter: 'datum.v !== null' }],
      mark: { type: 'text', fontSize: 10 },
      encoding: { x, y, text: { field: 't' }, color: { condition: { test: 'datum.w === 1', value: '#ffffff' }, value: '#111111' } },
    });
  }
  if (marked.size) {
    // Red with a white inner line: visible on the dark and the light ends of every scheme.
    layer.push(
      {
        name: 'outline',
        transform: [{ filter: 'datum.m === 1' }],
        mark: { type: 'rect', fill: null, stroke: MARK_COLOR, strokeWidth: 2.5, width: cw - 3, height: ch - 3 },
        encoding: { x, y },
      },
      {
        name: 'outline_inner',
        transform: [{ filter: 'datum.m === 1' }],
        mark: { type: 'rect', fill: null, stroke: '#ffffff', strokeWidth: 0.8, width: cw - 7, height: ch - 7 },
        encoding: { x, y },
      },
    );
  }
  const spec = {
    width: { step: cw },
    height: { step: ch },
    ...(o.title ? { title: o.title } : {}),
    data: { values: cells },
    layer,
  } as unknown as TopLevelSpec;
  return { spec, label, kind: 'heatmap' };
}

import { figure, grid } from '../html/elements.ts';
import { lineChart, type LineChartOptions, type LineSeries } from '../svg/line-chart.ts';

/** A line chart in a grid cell, with a caption under it. */
export interface CurvePanel extends LineChartOptions {
  caption?: string;
}

/** True when at least one series has a finite point. */
export function hasPoints(series: readonly LineSeries[]): boolean {
  return series.some((s) => s.points.some((p) => Number.isFinite(p[0]) && Number.isFinite(p[1])));
}

/**
 * Reusable section body for "quantities over epochs": V1 losses and expected latency, V2
 * effective FLOPs, V3 early-stop correlation. Panels without data are left out; returns ''
 * when none has data (the caller then reports the section missing).
 */
export function curvesContent(panels: readonly CurvePanel[], minWidth = 360): string {
  const drawn = panels.filter((p) => hasPoints(p.series));
  if (!drawn.length) return '';
  return grid(
    drawn.map((p) => figure(lineChart({ width: 400, height: 250, integerX: true, ...p }), p.caption)),
    minWidth,
  );
}

/** Series from per-epoch records: one [epoch, value] pair per record with a finite value. */
export function seriesOf<T extends { epoch: number }>(records: readonly T[], pick: (r: T) => unknown): [number, number][] {
  return records.map((r) => {
    const v = pick(r);
    return [r.epoch, typeof v === 'number' && Number.isFinite(v) ? v : NaN] as [number, number];
  });
}

/**
 * A y domain for a percentage series whose values are all equal (a one-epoch run, a stuck
 * accuracy): ±5 points around the value, inside [0, 100], so the axis never reads "-1 %".
 * Undefined otherwise (the chart fits the data).
 */
export function percentDomain(points: readonly (readonly [number, number])[]): [number, number] | undefined {
  const ys = points.map((p) => p[1]).filter(Number.isFinite);
  if (!ys.length || Math.max(...ys) - Math.min(...ys) > 1e-9) return undefined;
  const v = ys[0];
  const lo = Math.max(0, v - 5);
  const hi = Math.min(100, Math.max(v + 5, lo + 10));
  return [lo, hi];
}

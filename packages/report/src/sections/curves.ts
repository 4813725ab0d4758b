import { grid } from '@fbnet/html';
import { chartFigure } from '../charts/chart-figure.ts';
import { hasPoints, lineChart, type LineChartOptions } from '../charts/line-chart.ts';

export { hasPoints };

/** A line chart in a grid cell, with a caption under it. */
export interface CurvePanel extends LineChartOptions {
  caption?: string;
}

/**
 * Reusable section body for "quantities over epochs": V1 losses and expected latency, V2
 * effective FLOPs, V3 early-stop correlation. Panels without data are left out; resolves to ''
 * when none has data (the caller then reports the section missing).
 */
export async function curvesContent(panels: readonly CurvePanel[], minWidth = 360): Promise<string> {
  const drawn = panels.filter((p) => hasPoints(p.series));
  if (!drawn.length) return '';
  const cells = await Promise.all(drawn.map((p) => chartFigure(lineChart({ width: 290, height: 150, integerX: true, ...p }), p.caption)));
  return grid(cells, minWidth);
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

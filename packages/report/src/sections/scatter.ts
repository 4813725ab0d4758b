import { chartFigure } from '../charts/chart-figure.ts';
import { scatterPlot, type ScatterOptions } from '../charts/scatter-plot.ts';

/**
 * Reusable section body for "one point per arch": V1 supernet accuracy vs LUT latency, V3
 * predicted vs measured accuracy (`diagonal: true`), V3 accuracy vs latency/FLOPs Pareto
 * fronts (`pareto: {x: 'min', y: 'max'}`). Resolves to '' when no point is finite.
 */
export async function scatterContent(o: ScatterOptions & { caption?: string }): Promise<string> {
  const any = [...o.points, ...(o.highlight ?? [])].some((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (!any) return '';
  return chartFigure(scatterPlot({ width: 520, height: 280, ...o }), o.caption);
}

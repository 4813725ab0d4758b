import { figure } from '../html/elements.ts';
import { scatterPlot, type ScatterOptions } from '../svg/scatter-plot.ts';

/**
 * Reusable section body for "one point per arch": V1 supernet accuracy vs LUT latency, V3
 * predicted vs measured accuracy (`diagonal: true`), V3 accuracy vs latency/FLOPs Pareto
 * fronts (`pareto: {x: 'min', y: 'max'}`). Returns '' when no point is finite.
 */
export function scatterContent(o: ScatterOptions & { caption?: string }): string {
  const any = [...o.points, ...(o.highlight ?? [])].some((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (!any) return '';
  return figure(scatterPlot({ width: 640, height: 380, ...o }), o.caption);
}

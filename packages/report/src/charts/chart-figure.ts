import { figure } from '@fbnet/html';
import { renderChart, type Chart } from './render.ts';

/** A chart rendered to inline SVG inside a <figure> with an escaped caption. */
export async function chartFigure(chart: Chart, caption?: string): Promise<string> {
  return figure(await renderChart(chart), caption);
}

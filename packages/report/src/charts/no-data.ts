import type { Chart } from './render.ts';

/** Drawn in place of a plot when there is nothing to draw. */
export function noDataChart(label: string, width = 360, height = 120): Chart {
  return {
    label,
    spec: {
      width,
      height,
      data: { values: [{ t: 'no data' }] },
      mark: { type: 'text', color: '#555555', fontSize: 12 },
      encoding: { text: { field: 't' } },
    },
  };
}

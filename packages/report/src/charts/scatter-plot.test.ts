import { describe, expect, it } from 'vitest';
import { scatterPlot } from './scatter-plot.ts';
import { renderChart } from './render.ts';
import { layerTexts, marks, position, texts, tooltip } from '../../test/svg.ts';

const points = [
  { x: 1, y: 70, label: 'a' },
  { x: 2, y: 80, label: 'b' },
  { x: 3, y: 78, label: 'c <dominated>' },
  { x: 4, y: 90, label: 'd' },
];

describe('scatterPlot', () => {
  it('a point per finite input; highlights ringed and tagged, in the legend', async () => {
    const svg = await renderChart(scatterPlot({ points: [...points, { x: NaN, y: 1 }], highlight: [{ x: 2, y: 80, tag: 'derived' }], xLabel: 'latency', yLabel: 'accuracy %' }));
    expect(marks(svg, 'points')).toHaveLength(4);
    expect(marks(svg, 'highlight')).toHaveLength(1);
    expect(layerTexts(svg, 'highlight_tag')).toEqual(['derived']);
    expect(texts(svg, 'legend-label')).toEqual(['4 points', 'derived']);
    expect(texts(svg, 'axis-title')).toEqual(['latency', 'accuracy %']);
    expect(marks(svg, 'points').map(tooltip)).toContain('c &lt;dominated&gt;');
    // The ring sits on the point it highlights.
    expect(position(marks(svg, 'highlight')[0])).toEqual(position(marks(svg, 'points')[1]));
  });
  it('the Pareto front visits exactly the front points, as a staircase', async () => {
    const svg = await renderChart(scatterPlot({ points, pareto: true }));
    const front = marks(svg, 'pareto');
    expect(front).toHaveLength(1);
    expect(texts(svg, 'legend-label')).toContain('Pareto front');
    const pts = marks(svg, 'points').map(position);
    const d = / d="([^"]*)"/.exec(front[0])![1];
    // 3 front points (1,70) (2,80) (4,90) joined by steps: right at the previous height, then up to the next point.
    const xy = [...d.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(xy).toEqual([pts[0], [pts[1][0], pts[0][1]], pts[1], [pts[3][0], pts[1][1]], pts[3]]); // (3, 78) is off the front
  });
  it('groups get colours and legend entries; y = x is drawn on a shared domain', async () => {
    const svg = await renderChart(scatterPlot({ points: [{ x: 0.6, y: 0.62, group: 'iteration 1' }, { x: 0.8, y: 0.78, group: 'iteration 2' }], diagonal: true }));
    expect(texts(svg, 'legend-label')).toEqual(['iteration 1', 'iteration 2', 'y = x']);
    expect(marks(svg, 'diagonal')).toHaveLength(1);
    const fills = marks(svg, 'points').map((m) => /fill="([^"]*)"/.exec(m)![1]);
    expect(new Set(fills).size).toBe(2);
  });
});

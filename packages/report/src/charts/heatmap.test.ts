import { describe, expect, it } from 'vitest';
import { heatmap, logTicks } from './heatmap.ts';
import { renderChart } from './render.ts';
import { box, fill, layerTexts, marks, texts, tooltip } from '../../test/svg.ts';

const o = {
  rows: ['L0', 'L1 <s2>'],
  cols: ['k3_e1', 'k5_e6', 'skip'],
  values: [
    [1, 2, null],
    [3, 4, 0.5],
  ],
  marks: [[1, 1]] as [number, number][],
};

describe('heatmap', () => {
  it('a coloured cell per value, missing cells grey, rows and columns labelled (escaped)', async () => {
    const svg = await renderChart(heatmap({ ...o, domain: [0, 4], legendLabel: 'P' }));
    const cells = marks(svg, 'cells');
    expect(cells).toHaveLength(5);
    expect(marks(svg, 'missing').map(fill)).toEqual(['#eeeeee']);
    expect(marks(svg, 'missing').map(tooltip)).toEqual(['L0 · skip: missing']);
    // Equal values, equal colours; different values, different colours.
    expect(new Set(cells.map(fill)).size).toBe(5);
    expect(texts(svg, 'axis-label')).toEqual(expect.arrayContaining(['k3_e1', 'k5_e6', 'skip', 'L0', 'L1 &lt;s2&gt;']));
    expect(layerTexts(svg, 'values')).toEqual(['1', '2', '3', '4', '0.5']);
    expect(texts(svg, 'legend-title')).toEqual(['P']);
  });
  it('outlines the marked cells, on the cell', async () => {
    const svg = await renderChart(heatmap(o));
    const outline = marks(svg, 'outline');
    expect(outline).toHaveLength(1);
    const cell = marks(svg, 'cells').find((c) => tooltip(c) === 'L1 &lt;s2&gt; · k5_e6: 4')!;
    const centre = (b: number[]) => [b[0] + b[2] / 2, b[1] + b[3] / 2];
    const [cx, cy] = centre(box(cell));
    const [ox, oy] = centre(box(outline[0]));
    expect(ox).toBeCloseTo(cx, 6);
    expect(oy).toBeCloseTo(cy, 6);
    expect(box(outline[0])[2]).toBeLessThan(box(cell)[2]); // inside the cell, not over its neighbours
  });
  it('a log scale spaces colours by decades; its colour bar reads in decades', async () => {
    const svg = await renderChart(heatmap({ rows: ['r'], cols: ['a', 'b', 'c'], values: [[0.01, 0.1, 1]], scale: 'log', legendLabel: 'ms (log)' }));
    expect(texts(svg, 'legend-label')).toEqual(['0.01', '0.02', '0.05', '0.1', '0.2', '0.5', '1']);
    expect(logTicks(0.012, 34)).toEqual([0.1, 1, 10]); // more than 2.5 decades: powers of ten only
    const lin = await renderChart(heatmap({ rows: ['r'], cols: ['a', 'b', 'c'], values: [[0.01, 0.1, 1]] }));
    // On a linear scale 0.01 and 0.1 are almost the same colour; on a log scale the middle cell sits halfway.
    const [l0, l1, l2] = marks(lin, 'cells').map(fill);
    const [g0, g1, g2] = marks(svg, 'cells').map(fill);
    expect([g0, g2]).toEqual([l0, l2]); // the ends of the scheme either way
    expect(g1).not.toBe(l1);
    expect(new Set([g0, g1, g2]).size).toBe(3);
  });
});

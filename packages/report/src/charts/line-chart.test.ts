import { describe, expect, it } from 'vitest';
import { lineChart } from './line-chart.ts';
import { renderChart } from './render.ts';
import { marks, position, texts, tooltip } from '../../test/svg.ts';

const series = [
  { name: 'train <loss>', points: [[1, 2], [2, 1.5], [3, 1]] as [number, number][] },
  { name: 'val', points: [[1, 2.2], [2, NaN], [3, 1.2]] as [number, number][], dashed: true },
];

describe('lineChart', () => {
  it('one line per series, a NaN makes a gap, a dot per finite point', async () => {
    const svg = await renderChart(lineChart({ series, xLabel: 'epoch', yLabel: 'loss', integerX: true }));
    const lines = marks(svg, 'series');
    expect(lines).toHaveLength(2);
    // train: one path through 3 points; val: two one-point pieces (M..Z M..Z), not a line through the gap.
    expect((/ d="([^"]*)"/.exec(lines[0])![1].match(/L/g) ?? []).length).toBe(2);
    expect(/ d="([^"]*)"/.exec(lines[1])![1]).toMatch(/^M[\d.,]+ZM[\d.,]+Z$/);
    expect(lines[1]).toContain('stroke-dasharray="5,4"');
    expect(marks(svg, 'markers')).toHaveLength(5);
    expect(texts(svg, 'axis-title')).toEqual(expect.arrayContaining(['epoch', 'loss']));
    expect(texts(svg, 'legend-label')).toEqual(['train &lt;loss&gt;', 'val']);
  });
  it('places points by value: larger y higher, equal x steps equally spaced; integer ticks for epochs', async () => {
    const svg = await renderChart(lineChart({ series: [series[0]], integerX: true }));
    const [a, b, c] = marks(svg, 'markers').map(position);
    expect(a[1]).toBeLessThan(c[1]);
    expect(b[0] - a[0]).toBeCloseTo(c[0] - b[0], 6);
    expect(b[1] - a[1]).toBeCloseTo(c[1] - b[1], 6);
    expect(texts(svg, 'axis-label').filter((t) => /^\d+(\.\d+)?$/.test(t) && Number(t) >= 1 && Number(t) <= 3 && !t.includes('.'))).toEqual(expect.arrayContaining(['1', '2', '3']));
    expect(texts(svg, 'legend-label')).toEqual([]); // one series: no legend
    expect(tooltip(marks(svg, 'markers')[1])).toBe('train &lt;loss&gt;: 2, 1.5');
  });
  it('a right-axis series gets its own axis and is marked in the legend', async () => {
    const svg = await renderChart(lineChart({ series: [series[0], { name: 'ms', points: [[1, 100], [3, 300]], axis: 'right' }], yLabel: 'loss', y2Label: 'ms' }));
    expect(texts(svg, 'legend-label')).toContain('ms (right)');
    expect(texts(svg, 'axis-title')).toEqual(expect.arrayContaining(['loss', 'ms']));
    expect(texts(svg, 'axis-label')).toContain('300');
    expect(marks(svg, 'series_right')).toHaveLength(1);
  });
  it('escapes names and titles; says "no data" when there is nothing to draw', async () => {
    const svg = await renderChart(lineChart({ series, title: 'a <b> & "c"' }));
    expect(texts(svg, 'title-text')).toEqual(['a &lt;b&gt; &amp; "c"']);
    expect(svg).not.toContain('<loss>');
    expect(await renderChart(lineChart({ series: [{ name: 'x', points: [[1, NaN]] }] }))).toContain('>no data</text>');
  });
});

import { describe, expect, it } from 'vitest';
import { heatmap } from './heatmap.ts';
import { lineChart } from './line-chart.ts';
import { renderChart } from './render.ts';
import { scatterPlot } from './scatter-plot.ts';

const line = () => lineChart({ title: 'loss', series: [{ name: 'a', points: [[1, 2], [2, 1]] }, { name: 'b', points: [[1, 3], [2, 2]] }] });
const map = () => heatmap({ rows: ['r0', 'r1'], cols: ['a', 'b'], values: [[1, 2], [3, 4]], legendLabel: 'ms' });

describe('renderChart', () => {
  it('is deterministic: the same spec gives the same bytes, also after other charts (Vega numbers ids process-wide)', async () => {
    const a = await renderChart(map());
    await renderChart(scatterPlot({ points: [{ x: 1, y: 2 }] }));
    await renderChart(line());
    expect(await renderChart(map())).toBe(a);
    expect(await renderChart(line())).toBe(await renderChart(line()));
  });
  it('ids are the chart\'s own: content-derived, and every reference points inside the chart', async () => {
    const svg = await renderChart(map()); // the colour bar is a gradient with an id
    const ids = [...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toMatch(/^v[0-9a-z]+-\d+$/);
    for (const ref of svg.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref[1]);
  });
  it('an inline root: role, label and title; no xlink or external namespace; text stays text', async () => {
    const svg = await renderChart(line());
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart chart-line" width="\d+" height="\d+" viewBox="[^"]+" role="img" aria-label="loss"><title>loss<\/title>/);
    expect(svg.replace('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:|xlink|<script|<image/);
    expect(svg).toMatch(/<text[^>]*>loss<\/text>/);
  });
});

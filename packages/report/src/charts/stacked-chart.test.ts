import { describe, expect, it } from 'vitest';
import { stackedChart } from './stacked-chart.ts';
import { renderChart } from './render.ts';
import { marks, texts, tooltip } from '../../test/svg.ts';

const panel = { x: [1, 2, 3], values: [[1, 1, 0], [3, 1, 0], [4, 0, 0]] };
const ys = (d: string) => [...d.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map((m) => Number(m[2]));

describe('stackedChart', () => {
  it('areas: one per non-empty category, normalised shares stacked to 1, first category at the bottom', async () => {
    const svg = await renderChart(stackedChart({ categories: ['a', 'b <c>', 'never'], panels: [panel], normalize: true }));
    const areas = marks(svg, 'layers');
    expect(areas).toHaveLength(2);
    expect(texts(svg, 'legend-label')).toEqual(['a', 'b &lt;c&gt;']);
    const [a, b] = areas.map((s) => ys(/ d="([^"]*)"/.exec(s)![1]));
    // The top category's upper edge is the total (1) at every x; a's share rises 0.5 → 0.75 → 1 (SVG y falls).
    const top = Math.min(...b);
    expect(b.filter((y) => Math.abs(y - top) < 1e-6).length).toBeGreaterThanOrEqual(3);
    const aTop = a.slice(0, 3);
    expect(aTop[0]).toBeGreaterThan(aTop[1]);
    expect(aTop[1]).toBeGreaterThan(aTop[2]);
    expect(aTop[2]).toBeCloseTo(top, 6);
  });
  it('bars: a bar per positive amount, heights proportional to the amounts', async () => {
    const svg = await renderChart(stackedChart({ categories: ['a', 'b'], panels: [{ x: panel.x, values: panel.values.map((r) => r.slice(0, 2)) }], mode: 'bar' }));
    const bars = marks(svg, 'layers');
    expect(bars).toHaveLength(5); // 3 of a + 2 of b (b is 0 at x=3)
    const height = (label: string) => Number(/ d="M[\d.,]+h[\d.]+v([\d.]+)/.exec(bars.find((b) => tooltip(b) === label)!)![1]);
    expect(height('a @ 2: 3') / height('a @ 1: 1')).toBeCloseTo(3, 6);
    expect(height('a @ 3: 4') / height('b @ 2: 1')).toBeCloseTo(4, 6);
  });
  it('small multiples: a panel per layer with its header, one legend', async () => {
    const svg = await renderChart(stackedChart({ categories: ['a', 'b'], panels: [{ ...panel, label: 'L0 → a' }, { ...panel, label: 'L1 → b' }], normalize: true }));
    expect(texts(svg, 'title-text')).toEqual(['L0 → a', 'L1 → b']);
    expect(marks(svg, 'layers')).toHaveLength(4);
    expect(texts(svg, 'legend-label')).toEqual(['a', 'b']);
  });
});

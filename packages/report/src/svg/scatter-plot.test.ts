import { describe, expect, it } from 'vitest';
import { scatterPlot } from './scatter-plot.ts';
import { attrs, balanced, count, texts } from './_svg-test-support.ts';

const points = [
  { x: 1, y: 70, label: 'a' },
  { x: 2, y: 80, label: 'b' },
  { x: 3, y: 78, label: 'c <dominated>' },
  { x: 4, y: 90, label: 'd' },
];

describe('scatterPlot', () => {
  it('draws a point per finite input, highlights ringed and tagged', () => {
    const svg = scatterPlot({ points: [...points, { x: NaN, y: 1 }], highlight: [{ x: 2, y: 80, tag: 'derived' }] });
    expect(balanced(svg)).toBe(true);
    expect(count(svg, 'circle')).toBe(4 + 2 + 2); // points + highlight (ring + dot) + legend (dot + ring)
    expect(texts(svg)).toContain('derived');
    expect(svg).toContain('<title>c &lt;dominated&gt;</title>');
  });
  it('the Pareto line visits exactly the front, as a staircase', () => {
    const svg = scatterPlot({ points, pareto: true, width: 500, height: 300 });
    const line = attrs(svg, 'polyline', 'points');
    expect(line).toHaveLength(1);
    const pts = line[0].split(' ');
    // 3 front points (1,70) (2,80) (4,90) and 2 corners between them.
    expect(pts).toHaveLength(5);
    const [p0, c1, p1] = pts.map((p) => p.split(',').map(Number));
    expect(c1[0]).toBe(p1[0]); // corner below the next point...
    expect(c1[1]).toBe(p0[1]); // ...at the previous point's height
  });
  it('draws y = x for predicted-vs-measured plots and shares the axes', () => {
    const svg = scatterPlot({ points: [{ x: 0.6, y: 0.62 }, { x: 0.8, y: 0.78 }], diagonal: true });
    expect(texts(svg)).toContain('y = x');
    expect(count(svg, 'line')).toBeGreaterThan(0);
  });
  it('is deterministic', () => {
    expect(scatterPlot({ points, pareto: true })).toBe(scatterPlot({ points, pareto: true }));
  });
});

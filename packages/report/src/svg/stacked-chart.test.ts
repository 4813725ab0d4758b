import { describe, expect, it } from 'vitest';
import { stackedChart } from './stacked-chart.ts';
import { attrs, balanced } from './_svg-test-support.ts';

describe('stackedChart', () => {
  const base = { x: [1, 2, 3], categories: ['a', 'b <c>'], values: [[1, 1], [3, 1], [4, 0]], width: 300, height: 200 };

  it('area mode: one polygon per non-empty category, stacked to the row total', () => {
    const svg = stackedChart({ ...base, normalize: true });
    expect(balanced(svg)).toBe(true);
    const polys = attrs(svg, 'polygon', 'points');
    expect(polys).toHaveLength(2);
    // normalised: the top category's upper edge is the same height (total = 1) at every x.
    const top = polys[1].split(' ').slice(0, 3).map((p) => Number(p.split(',')[1]));
    expect(new Set(top).size).toBe(1);
    // the first category's share rises 0.5 → 0.75 → 1: its upper edge climbs (SVG y falls).
    const a = polys[0].split(' ').slice(0, 3).map((p) => Number(p.split(',')[1]));
    expect(a[0]).toBeGreaterThan(a[1]);
    expect(a[1]).toBeGreaterThan(a[2]);
    expect(svg).toContain('b &lt;c&gt;');
  });
  it('bar mode: a rect per positive amount, heights proportional to the amounts', () => {
    const svg = stackedChart({ ...base, mode: 'bar' });
    const layer = svg.slice(svg.indexOf('<g class="layers">'));
    const hs = attrs(layer, 'rect', 'height').map(Number);
    expect(hs).toHaveLength(5); // 3 of a + 2 of b (b is 0 at x=3)
    expect(hs[1] / hs[0]).toBeCloseTo(3, 1);
  });
  it('is deterministic and empty-safe', () => {
    expect(stackedChart(base)).toBe(stackedChart(base));
    expect(stackedChart({ ...base, x: [] })).toContain('no data');
  });
});

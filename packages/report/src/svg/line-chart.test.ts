import { describe, expect, it } from 'vitest';
import { lineChart } from './line-chart.ts';
import { attrs, balanced, count, texts } from './_svg-test-support.ts';

const series = [
  { name: 'train <loss>', points: [[1, 2], [2, 1.5], [3, 1]] as [number, number][] },
  { name: 'val', points: [[1, 2.2], [2, NaN], [3, 1.2]] as [number, number][], dashed: true },
];

describe('lineChart', () => {
  it('draws one polyline per unbroken run of points; a NaN makes a gap', () => {
    const svg = lineChart({ series, width: 400, height: 240, xLabel: 'epoch', yLabel: 'loss' });
    expect(balanced(svg)).toBe(true);
    // train: one polyline of 3 points; val: two lone points (no polyline), drawn as dots.
    const lines = attrs(svg, 'polyline', 'points');
    expect(lines).toHaveLength(1);
    expect(lines[0].split(' ')).toHaveLength(3);
    expect(count(svg, 'circle')).toBe(5);
  });
  it('puts ticks where the scale says: y ticks covering [1, 2.2] and x ticks at every epoch', () => {
    const svg = lineChart({ series, width: 400, height: 240, integerX: true });
    const labels = texts(svg);
    // ~170 px of plot height at ~40 px per tick: 4 intervals of 0.25 over [1, 2.2], widened to 2.25.
    expect(labels.slice(2, 8)).toEqual(['1.00', '1.25', '1.50', '1.75', '2.00', '2.25']);
    for (const t of ['1', '2', '3']) expect(labels).toContain(t);
    // Larger values sit higher (smaller SVG y), at the height of their tick: 2.0 on the "2.00" grid line.
    const ys = attrs(svg, 'polyline', 'points')[0].split(' ').map((p) => Number(p.split(',')[1]));
    expect(ys[0]).toBeLessThan(ys[2]);
    expect(ys[1] - ys[0]).toBeCloseTo(ys[2] - ys[1], 1);
    const tickY = Number(/<text x="[\d.]+" y="([\d.]+)"[^>]*>2\.00<\/text>/.exec(svg)![1]) - 3.5;
    expect(ys[0]).toBeCloseTo(tickY, 1);
  });
  it('x coordinates are linear in x: the middle epoch is halfway', () => {
    const svg = lineChart({ series: [series[0]], width: 400, height: 240 });
    const xs = attrs(svg, 'polyline', 'points')[0].split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs[1] - xs[0]).toBeCloseTo(xs[2] - xs[1], 1);
  });
  it('a right-axis series gets its own ticks and is marked in the legend', () => {
    const svg = lineChart({ series: [series[0], { name: 'ms', points: [[1, 100], [3, 300]], axis: 'right' }], y2Label: 'ms' });
    expect(texts(svg)).toContain('ms (right)');
    expect(texts(svg)).toContain('300');
  });
  it('escapes names and titles', () => {
    const svg = lineChart({ series, title: 'a <b> & "c"' });
    expect(svg).toContain('train &lt;loss&gt;');
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(svg).not.toContain('<loss>');
  });
  it('is deterministic and says "no data" when there is nothing to draw', () => {
    expect(lineChart({ series })).toBe(lineChart({ series }));
    expect(lineChart({ series: [{ name: 'x', points: [[1, NaN]] }] })).toContain('no data');
  });
});

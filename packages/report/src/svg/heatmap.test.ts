import { describe, expect, it } from 'vitest';
import { sequential } from './colors.ts';
import { heatmap } from './heatmap.ts';
import { attrs, balanced, texts } from './_svg-test-support.ts';

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
  it('colours each cell by its value on the scale, missing cells grey', () => {
    const svg = heatmap({ ...o, domain: [0, 4], scheme: 'viridis' });
    expect(balanced(svg)).toBe(true);
    const cellFills = attrs(svg.slice(svg.indexOf('<g class="cells">'), svg.indexOf('</g>', svg.indexOf('<g class="cells">'))), 'rect', 'fill');
    expect(cellFills).toEqual([sequential(0.25), sequential(0.5), '#eeeeee', sequential(0.75), sequential(1), sequential(0.125)]);
  });
  it('labels rows and columns (escaped), prints values, outlines marks', () => {
    const svg = heatmap({ ...o, format: (v) => v.toFixed(1) });
    const t = texts(svg);
    expect(t).toContain('L1 &lt;s2&gt;');
    expect(t).toContain('k5_e6');
    expect(t).toContain('4.0');
    expect(svg.match(/class="mark"/g)).toHaveLength(1);
    expect(svg).toContain('L0 · skip: missing');
  });
  it('the colour bar spans the domain with nice ticks', () => {
    const svg = heatmap({ ...o, domain: [0, 1], legendLabel: 'P' });
    const bar = svg.slice(svg.indexOf('<g class="colour-bar">'));
    expect(texts(bar)).toEqual(expect.arrayContaining(['0.0', '0.5', '1.0', 'P']));
  });
  it('sequential colours run from the first to the last stop', () => {
    expect(sequential(0)).toBe('#440154');
    expect(sequential(1)).toBe('#fde725');
    expect(sequential(-3)).toBe('#440154');
    expect(sequential(0, 'blues')).toBe('#f7fbff');
  });
  it('is deterministic', () => {
    expect(heatmap(o)).toBe(heatmap(o));
  });
});

describe('heatmap log scale', () => {
  it('spaces colours by decades and ticks the colour bar at 1-2-5 or decades', async () => {
    const { logTicks } = await import('./heatmap.ts');
    const svg = heatmap({ rows: ['r'], cols: ['a', 'b', 'c'], values: [[0.01, 0.1, 1]], scale: 'log' });
    const cells = svg.slice(svg.indexOf('<g class="cells">'));
    expect(attrs(cells, 'rect', 'fill').slice(0, 3)).toEqual([sequential(0), sequential(0.5), sequential(1)]);
    expect(logTicks(0.01, 1)).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
    expect(logTicks(0.012, 34)).toEqual([0.1, 1, 10]);
  });
});

import { describe, expect, it } from 'vitest';
import { archDiagram, diagramBlocks, opKind } from './arch-diagram.ts';
import { parseArchDef } from '@fbnet/core';
import { attrs, balanced, texts } from './_svg-test-support.ts';

const def = parseArchDef({
  input_size: 28,
  input_channels: 1,
  num_classes: 10,
  blocks: [
    [['conv_k3', 16, 2, 1]],
    [['ir_k5', 24, 2, 2, { expansion: 6 }]],
    [['ir_k3_g2', 24, 1, 1, { expansion: 1, pwl_groups: 2 }], ['skip', 32, 1, 1]],
  ],
});

describe('archDiagram', () => {
  it('one box per block instance, repeats expanded, labelled "op eX channels"', () => {
    const blocks = diagramBlocks(def);
    expect(blocks.map((b) => b.label)).toEqual(['conv_k3 16', 'ir_k5 e6 24', 'ir_k5 e6 24', 'ir_k3_g2 e1 24', 'skip 32']);
    expect(blocks.map((b) => b.stride)).toEqual([2, 2, 1, 1, 1]);
    const svg = archDiagram(def);
    expect(balanced(svg)).toBe(true);
    expect(svg.match(/<g class="block"/g)).toHaveLength(5);
  });
  it('marks stride-2 blocks, colours by kind, sizes by channels and expansion', () => {
    const svg = archDiagram(def);
    expect(texts(svg).filter((t) => t === '↓2')).toHaveLength(2);
    const blocks = svg.split('<g class="block"').slice(1);
    const box = (i: number) => {
      const [w, h] = [attrs(blocks[i], 'rect', 'width'), attrs(blocks[i], 'rect', 'height')];
      return { w: Number(w[w.length - 1]), h: Number(h[h.length - 1]), fill: attrs(blocks[i], 'rect', 'fill').pop() };
    };
    expect(box(1).fill).toBe('#f28e2b'); // k5
    expect(box(3).fill).toBe('#4e79a7'); // k3
    expect(box(1).h).toBeGreaterThan(box(3).h); // e6 taller than e1
    expect(box(4).w).toBeGreaterThan(box(1).w); // 32 channels wider than 24
    expect(opKind('ir_k5_sehsig_hs')).toBe('ir_k5');
    expect(opKind('conv_k1')).toBe('conv');
  });
  it('prints shapes and costs, escapes notes, is deterministic', () => {
    const notes = ['<stem>', undefined, 'L1 · P 0.9'];
    const svg = archDiagram(def, { notes, notesHeader: 'layer', title: 'net & co' });
    expect(texts(svg)).toEqual(expect.arrayContaining(['14×14×16', '7×7×24', '&lt;stem&gt;', 'L1 · P 0.9', 'total', 'net &amp; co']));
    expect(archDiagram(def, { notes })).toBe(archDiagram(def, { notes }));
  });
});

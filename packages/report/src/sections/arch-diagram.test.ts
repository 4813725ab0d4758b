import { describe, expect, it } from 'vitest';
import { archDiagram, diagramBlocks, opKind } from './arch-diagram.ts';
import { parseArchDef } from '@fbnet/core';

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

/** The block rows of a diagram, with the box's size, colour and classes. */
function rows(html: string) {
  return [...html.matchAll(/<tr class="(block[^"]*)" data-op="([^"]*)"[^>]*>(.*?)<\/tr>/g)].map((m) => {
    const box = /<span class="(box[^"]*)" style="width:(\d+)px;height:(\d+)px;(?:background|border-color):(#[0-9a-f]{6})"/.exec(m[3])!;
    const cells = [...m[3].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1].replace(/<[^>]+>/g, ''));
    return { cls: m[1], op: m[2], box: box[1], w: Number(box[2]), h: Number(box[3]), color: box[4], cells };
  });
}

describe('archDiagram', () => {
  it('one row per block instance, repeats expanded, labelled "op eX channels"', () => {
    const blocks = diagramBlocks(def);
    expect(blocks.map((b) => b.label)).toEqual(['conv_k3 16', 'ir_k5 e6 24', 'ir_k5 e6 24', 'ir_k3_g2 e1 24', 'skip 32']);
    expect(blocks.map((b) => b.stride)).toEqual([2, 2, 1, 1, 1]);
    const r = rows(archDiagram(def));
    expect(r.map((x) => x.op)).toEqual(['conv_k3', 'ir_k5', 'ir_k5', 'ir_k3_g2', 'skip']);
  });
  it('marks stride-2 blocks, colours by kind, sizes by channels and expansion', () => {
    const html = archDiagram(def);
    const r = rows(html);
    expect(r.filter((x) => x.cls.includes('strided')).map((x) => x.op)).toEqual(['conv_k3', 'ir_k5']);
    expect((html.match(/<span class="stride">↓2<\/span>/g) ?? []).length).toBe(2);
    expect(r[1].color).toBe('#f28e2b'); // k5
    expect(r[3].color).toBe('#4e79a7'); // k3
    expect(r[1].h).toBeGreaterThan(r[3].h); // e6 taller than e1
    expect(r[4].w).toBeGreaterThan(r[1].w); // 32 channels wider than 24
    expect(r[3].box).toContain('grouped');
    expect(r[4].box).toContain('skip');
    expect(r[2].box).toContain('residual'); // the repeat keeps its shape: a shortcut
    expect(html).toContain('<li><span class="swatch" style="background:#f28e2b"></span>inverted residual k5</li>');
    expect(opKind('ir_k5_sehsig_hs')).toBe('ir_k5');
    expect(opKind('conv_k1')).toBe('conv');
  });
  it('prints shapes and costs per block, the head and the total; escapes notes; is deterministic', () => {
    const notes = ['<stem>', undefined, 'L1 · P 0.9'];
    const html = archDiagram(def, { notes, notesHeader: 'layer', title: 'net & co' });
    const r = rows(html);
    expect(r[0].cells.slice(-4)).toEqual(['14×14×16', expect.any(String), expect.any(String), '&lt;stem&gt;']);
    expect(r[1].cells).toContain('7×7×24');
    expect(r[2].cells[r[2].cells.length - 1]).toBe('L1 · P 0.9');
    expect(html).toContain('<div class="arch-title">net &amp; co</div>');
    expect(html).toMatch(/<td>head: pool \+ fc 10<\/td><td class="num">1×1×10<\/td>/);
    expect(html).toMatch(/<td>total<\/td><td><\/td><td class="num">[\d.]+[KM]?<\/td>/);
    expect(archDiagram(def, { notes })).toBe(archDiagram(def, { notes }));
  });
});

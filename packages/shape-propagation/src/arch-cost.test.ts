import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArchDefError, FbnetError, parseArchDef, resolveArch } from '@fbnet/core';
import { archCost, blockCost, convOutputSize, nodeCost } from './index.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8'));

describe('convOutputSize (PyTorch: floor((in + 2p - k) / s) + 1)', () => {
  it.each([
    [224, 3, 2, 1, 112],
    [28, 5, 2, 1, 13], // FBNetV3-A's strided k5 block with padding 1
    [28, 5, 2, 2, 14],
    [13, 3, 2, 0, 6],
    [7, 1, 2, 0, 4],
    [2, 3, 2, 0, 0],
  ])('in %i, k %i, s %i, p %i -> %i', (size, k, s, p, out) => {
    expect(convOutputSize(size, k, s, p)).toBe(out);
  });
});

describe('FBNetV3 from mobile-vision (published: A 356.6 MFLOPs / 8.5 M params, B 461 MFLOPs)', () => {
  it('FBNetV3-A at 224 is exactly 356,598,280 FLOPs and 8,542,224 params', () => {
    const c = archCost(fixture('fbnetv3_a'));
    expect(c.flops).toBe(356_598_280);
    expect(c.params).toBe(8_542_224);
    expect(c.output).toEqual([1, 1, 1000]);
  });

  it('the strided k5 block with dw padding 1 takes 28x28 to 13x13, the k3 with padding 0 takes 13x13 to 6x6', () => {
    const c = archCost(fixture('fbnetv3_a'));
    const s4 = c.blocks.find((b) => b.stage === 4 && b.block === 0)!;
    expect(s4.input).toEqual([28, 28, 40]);
    expect(s4.output).toEqual([13, 13, 72]);
    expect(s4.nodes.map((n) => n.name)).toEqual(['pw', 'dw', 'pwl']);
    expect(s4.nodes[1].output).toEqual([13, 13, 200]);
    const s5 = c.blocks.find((b) => b.stage === 5 && b.block === 0)!;
    expect(s5.output).toEqual([6, 6, 184]);
  });

  it('FBNetV3-A0 and FBNetV3-B', () => {
    const a0 = archCost(fixture('fbnetv3_a0'));
    expect([a0.flops, a0.params]).toEqual([218_578_288, 6_275_532]);
    const b = archCost(fixture('fbnetv3_b'));
    // same blocks as A at 248x248: same params, more FLOPs
    expect([b.flops, b.params]).toEqual([461_550_136, 8_542_224]);
  });

  it('accepts a resolved arch and an input-size override', () => {
    const def = parseArchDef(fixture('fbnetv3_a'));
    expect(archCost(resolveArch(def)).flops).toBe(356_598_280);
    expect(archCost(def, { inputSize: 248 }).flops).toBe(461_550_136);
    expect(archCost(def, { inputSize: [248, 248] }).flops).toBe(461_550_136);
  });
});

describe('breakdown', () => {
  const c = archCost(fixture('fbnetv3_a'));

  it('blocks, stages and head add up to the totals', () => {
    const sum = (xs: { flops: number; params: number }[]) => xs.reduce((a, x) => [a[0] + x.flops, a[1] + x.params], [0, 0]);
    const [bf, bp] = sum(c.blocks);
    expect([bf + c.head.flops, bp + c.head.params]).toEqual([c.flops, c.params]);
    const [sf, sp] = sum(c.stages);
    expect([sf, sp]).toEqual([bf, bp]);
    for (const b of c.blocks) expect(b.nodes.reduce((a, n) => a + n.flops, 0)).toBe(b.flops);
  });

  it('stages list their block count and in/out shapes; blocks chain', () => {
    expect(c.stages.map((s) => s.blocks)).toEqual([1, 2, 4, 5, 11, 7, 1]);
    expect(c.stages.map((s) => s.output)).toEqual([
      [112, 112, 16],
      [112, 112, 16],
      [56, 56, 24],
      [28, 28, 40],
      [13, 13, 120],
      [6, 6, 224],
      [1, 1, 1984],
    ]);
    c.blocks.forEach((b, i) => {
      expect(b.index).toBe(i);
      if (i > 0) expect(b.input).toEqual(c.blocks[i - 1].output);
    });
    const rep = c.blocks.filter((b) => b.stage === 4 && b.block === 3).map((b) => b.repeat);
    expect(rep).toEqual([0, 1, 2, 3, 4]);
  });

  it('head: pool over 1x1x1984 (1984) + 1984*1000 linear', () => {
    expect(c.head).toMatchObject({ input: [1, 1, 1984], output: [1, 1, 1000], flops: 1984 + 1_984_000, params: 1_984_000 });
  });

  it('stage totals of FBNetV3-A', () => {
    expect(c.stages.map((s) => s.flops)).toEqual([5_419_008, 10_035_200, 55_645_184, 55_148_160, 125_230_408, 89_581_440, 13_552_896]);
  });
});

describe('invalid shapes', () => {
  it('a layer whose output would be < 1 pixel is an ArchDefError naming stage and block', () => {
    const def = { input_size: 8, blocks: [[['conv_k3', 8, 2, 1]], [['ir_k3', 8, 2, 1], ['ir_k3', 8, 2, 1, { dw_args: { padding: 0 } }]]] };
    // 8 -> 4 -> 2 -> floor((2 - 3)/2) + 1 = 0
    let err: unknown;
    try {
      archCost(def as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArchDefError);
    expect((err as ArchDefError).location).toEqual({ stage: 1, block: 1 });
    expect((err as Error).message).toMatch(/stage 1, block 1: conv "dw": output would be 0x0/);
  });

  it('an input-size override that collapses the net names the first block that fails', () => {
    // 16 -> 8 -> 8 -> 4 -> 2, then the k5 stride-2 dw with padding 1: floor((2 + 2 - 5) / 2) + 1 = 0
    expect(() => archCost(fixture('fbnetv3_a'), { inputSize: 16 })).toThrow(/stage 4, block 0: conv "dw": output would be 0x0 \(input 2x2, kernel 5, stride 2, padding \[1, 1\]\)/);
  });

  it('a residual block whose padding shrinks the map cannot add its shortcut', () => {
    const def = { input_size: 8, input_channels: 8, blocks: [[['ir_k3', 8, 1, 1, { expansion: 2, dw_args: { padding: 0 } }]]] };
    expect(() => archCost(def as never)).toThrow(ArchDefError);
    expect(() => archCost(def as never)).toThrow(/stage 0, block 0: .*residual.*8x8x8 to 6x6x8/);
  });

  it('a bad input size is a usage error', () => {
    expect(() => archCost(fixture('fbnetv3_a'), { inputSize: 0 })).toThrow(FbnetError);
  });

  it('counts that would pass 2^53 are refused rather than rounded', () => {
    const def = { input_size: 1_000_000, blocks: [[['conv_k5', 4096, 1, 1]]] };
    expect(() => archCost(def as never)).toThrow(/not an exact integer below 2\^53/);
  });
});

describe('blockCost / nodeCost on their own (e.g. a latency table keyed by op and input shape)', () => {
  const spec = resolveArch(parseArchDef(fixture('fbnetv3_a'))).blocks[12].spec;
  it('count one block at a given input shape', () => {
    const b = blockCost(spec, [28, 28, 40]);
    expect(b.output).toEqual([13, 13, 72]);
    // pw 40*200 at 28x28 + dw 25*200 at 13x13 + pwl 200*72 at 13x13
    expect(b.flops).toBe(40 * 200 * 784 + 25 * 200 * 169 + 200 * 72 * 169);
    expect(b.params).toBe(40 * 200 + 25 * 200 + 200 * 72);
  });
  it('a wrong channel count is an error, with the location when given', () => {
    expect(() => blockCost(spec, [28, 28, 48], { stage: 4, block: 0 })).toThrow(/stage 4, block 0: block "ir_k5_hs" expects 40 input channels, got 48/);
    expect(() => nodeCost(spec.nodes[1], [28, 28, 40])).toThrow(/conv "dw": expects 200 input channels, got 40/);
  });
});

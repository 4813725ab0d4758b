import { describe, expect, it } from 'vitest';
import { ArchDefError, FbnetError } from '../errors.ts';
import { parseArchDef } from './arch-def.ts';
import type { ConvNode, SeNode } from './block-spec.ts';
import { OPS } from './ops.ts';
import { resolveArch } from './resolve.ts';

const IRF = { less_se_channels: true, zero_last_bn_gamma: true };
const arch = (blocks: unknown[][], extra: Record<string, unknown> = {}) => ({ input_size: 32, blocks, ...extra });

function expectArchError(input: unknown, re: RegExp) {
  try {
    resolveArch(parseArchDef(input));
    expect.unreachable('should have thrown');
  } catch (e) {
    expect(e).toBeInstanceOf(FbnetError);
    expect((e as FbnetError).code).toBe('ARCH_DEF_INVALID');
    expect((e as Error).message).toMatch(re);
  }
}

describe('parseArchDef', () => {
  it('fills defaults: 3 input channels, 1000 classes, width divisor 1', () => {
    const d = parseArchDef(arch([[['conv_k3', 16, 2, 1]]]));
    expect(d.input_channels).toBe(3);
    expect(d.num_classes).toBe(1000);
    expect(d.basic_args.width_divisor).toBe(1);
  });
  it('accepts JSON text', () => {
    expect(parseArchDef(JSON.stringify(arch([[['conv_k3', 16, 2, 1]]]))).input_size).toBe(32);
  });
  it('rejects malformed JSON text with a named error', () => {
    expectArchError('{"input_size": 32, "blocks": [', /not valid JSON/);
  });
  it('names an unknown top-level field', () => {
    expectArchError(arch([[['conv_k3', 16, 2, 1]]], { inputsize: 3 }), /unknown field\(s\) "inputsize"/);
  });
  it('names a missing input_size', () => {
    expectArchError({ blocks: [[['conv_k3', 16, 2, 1]]] }, /input_size/);
  });
  it('names stage, block and field of an unknown op', () => {
    expectArchError(arch([[['conv_k3', 16, 2, 1]], [['ir_k3', 16, 1, 1], ['ir_k7', 24, 2, 1]]]), /stage 1, block 1, field "op": unknown op "ir_k7"; known ops: .*ir_k3_g2/);
  });
  it('names an unknown kwarg', () => {
    expectArchError(arch([[['ir_k3', 16, 1, 1, { expansoin: 6 }]]]), /stage 0, block 0, field "expansoin": unknown kwarg/);
  });
  it('names an unknown key inside dw_args', () => {
    expectArchError(arch([[['ir_k3', 16, 1, 1, { dw_args: { dilation: 2 } }]]]), /field "dw_args.dilation"/);
  });
  it('rejects a bad dw_args.padding value', () => {
    expectArchError(arch([[['ir_k3', 16, 1, 1, { dw_args: { padding: [1] } }]]]), /field "dw_args.padding"/);
  });
  it('rejects a kwarg an op does not take', () => {
    expectArchError(arch([[['conv_k3', 16, 2, 1, { expansion: 6 }]]]), /field "expansion": kwarg "expansion" does not apply to op "conv_k3"/);
  });
  it('rejects wrongly typed fields', () => {
    expectArchError(arch([[['conv_k3', '16', 2, 1]]]), /field "out_channels"/);
    expectArchError(arch([[['conv_k3', 16, 0, 1]]]), /field "stride"/);
    expectArchError(arch([[['conv_k3', 16, 1, -1]]]), /field "repeat"/);
    expectArchError(arch([[['conv_k3', 16, 1]]]), /stage 0, block 0: a block needs at least/);
    expectArchError(arch([[['ir_k3', 16, 1, 1, { expansion: -1 }]]]), /field "expansion": must be a positive number/);
    expectArchError(arch([[['ir_k3', 16, 1, 1, 6]]]), /kwargs entry 0 must be an object/);
  });
  it('rejects a group count that does not divide the channels, naming the block', () => {
    expectArchError(arch([[['conv_k3', 15, 2, 1]], [['ir_k3_g2', 16, 1, 1, { expansion: 3 }]]], { input_channels: 3 }), /stage 1, block 0: .*not divisible by groups 2/);
  });
});

describe('resolveArch: inverted-residual rules (mobile-vision)', () => {
  it('expands repeats with stride only on the first instance', () => {
    const r = resolveArch(parseArchDef(arch([[['conv_k3', 16, 2, 1]], [['ir_k3', 24, 2, 3]]])));
    expect(r.blocks.map((b) => b.spec.stride)).toEqual([2, 2, 1, 1]);
    expect(r.blocks.map((b) => b.repeat)).toEqual([0, 0, 1, 2]);
    expect(r.head).toEqual({ inChannels: 24, numClasses: 1000 });
  });
  it('has no pointwise expansion when mid == in, a residual only for stride 1 and in == out', () => {
    const r = resolveArch(parseArchDef(arch([[['conv_k3', 16, 2, 1]], [['ir_k3', 16, 1, 1, { expansion: 1 }], ['ir_k3', 24, 1, 1, { expansion: 1 }], ['ir_k3', 24, 2, 1, { expansion: 6 }]]])));
    const [, b1, b2, b3] = r.blocks.map((b) => b.spec);
    expect(b1.nodes.map((n) => n.name)).toEqual(['dw', 'pwl']);
    expect(b1.residual).toBe(true);
    expect(b2.residual).toBe(false); // 16 -> 24
    expect(b3.residual).toBe(false); // stride 2
    expect((b3.nodes[0] as ConvNode).outChannels).toBe(144); // 24 * 6
  });
  it('rounds mid channels with the width divisor', () => {
    // in 20, e 3 -> 60; 60 / 8 = 7.5 -> 8 * 8 = 64
    const r = resolveArch(parseArchDef(arch([[['conv_k3', 20, 2, 1]], [['ir_k5', 20, 1, 1, { expansion: 3 }]]], { basic_args: { width_divisor: 8 } })));
    const pw = r.blocks[1].spec.nodes[0] as ConvNode;
    expect(pw.outChannels).toBe(64);
    expect((r.blocks[1].spec.nodes[1] as ConvNode).kernel).toBe(5);
  });
  it('sizes SE from less_se_channels as mobile-vision (FBNetV3-A stage 3 and 5)', () => {
    const def = arch(
      [
        [['conv_k3_hs', 24, 2, 1]],
        [['ir_k5_sehsig_hs', 40, 2, 1, { expansion: 5 }, IRF]],
        [['ir_k3_sehsig_hs', 120, 1, 1, { expansion: 3 }]],
        [['ir_k3_sehsig_hs', 184, 2, 1, { expansion: 6 }, IRF, { dw_args: { padding: [0, 0] } }]],
      ],
      { basic_args: { width_divisor: 8 } },
    );
    const r = resolveArch(parseArchDef(def));
    const se = (i: number) => r.blocks[i].spec.nodes.find((n) => n.kind === 'se') as SeNode;
    // 24*5 = 120 mid; 120 * (0.25/5) = 6 -> divisible by 8 -> 8
    expect(se(1).channels).toBe(120);
    expect(se(1).midChannels).toBe(8);
    expect(se(1).gate).toBe('hsigmoid');
    expect(se(1).act).toBe('hswish');
    // no less_se_channels: 40*3 = 120 mid; 120 * 0.25 = 30 -> 32
    expect(se(2).midChannels).toBe(32);
    // 120*6 = 720 mid; 720 * (0.25/6) = 30 -> 32; dw padding override
    expect(se(3).midChannels).toBe(32);
    const dw = r.blocks[3].spec.nodes.find((n) => n.name === 'dw') as ConvNode;
    expect(dw.padding).toEqual([0, 0]);
    expect(dw.groups).toBe(720);
  });
  it('zero_last_bn_gamma only on residual blocks', () => {
    const r = resolveArch(parseArchDef(arch([[['conv_k3', 16, 2, 1]], [['ir_k3', 16, 1, 2, { expansion: 1 }, IRF], ['ir_k3', 24, 2, 1, IRF]]])));
    const pwl = (i: number) => r.blocks[i].spec.nodes.at(-1) as ConvNode;
    expect(pwl(1).zeroGamma).toBe(true);
    expect(pwl(3).zeroGamma).toBe(false);
  });
  it('_g2 groups the expansion pointwise and shuffles; pwl_groups groups the projection', () => {
    const r = resolveArch(parseArchDef(arch([[['conv_k3', 16, 2, 1]], [['ir_k3_g2', 16, 1, 1, { expansion: 6, pwl_groups: 2 }], ['ir_k5_g2', 32, 1, 1, { expansion: 1 }]]])));
    const b = r.blocks[1].spec;
    expect(b.nodes.map((n) => n.kind + ':' + n.name)).toEqual(['conv:pw', 'shuffle:shuffle', 'conv:dw', 'conv:pwl']);
    expect((b.nodes[0] as ConvNode).groups).toBe(2);
    expect((b.nodes[3] as ConvNode).groups).toBe(2);
    // e1: no pw (mid == in) but the shuffle remains, as mobile-vision
    expect(r.blocks[2].spec.nodes.map((n) => n.name)).toEqual(['shuffle', 'dw', 'pwl']);
  });
  it('dw_group_ratio sets depthwise groups to mid / ratio', () => {
    const r = resolveArch(parseArchDef(arch([[['conv_k3', 32, 2, 1]], [['ir_k3', 32, 1, 1, { expansion: 2, dw_group_ratio: 32 }]]])));
    expect((r.blocks[1].spec.nodes[1] as ConvNode).groups).toBe(2);
  });
  it('skip is the identity, or a 1x1 conv + BN where channels or stride change', () => {
    const r = resolveArch(parseArchDef(arch([[['conv_k3', 16, 2, 1]], [['skip', 16, 1, 1, { expansion: 1, bias: true }], ['skip', 24, 2, 1]]])));
    expect(r.blocks[1].spec.nodes).toEqual([]);
    const proj = r.blocks[2].spec.nodes[0] as ConvNode;
    expect(proj).toMatchObject({ kernel: 1, stride: 2, inChannels: 16, outChannels: 24, bn: true, act: 'none' });
  });
  it('ir_pool: pointwise expand, global pool, 1x1 conv with activation and no BN', () => {
    const r = resolveArch(parseArchDef(arch([[['conv_k3_hs', 16, 2, 1]], [['ir_pool_hs', 64, 1, 1, { expansion: 6 }]]], { basic_args: { width_divisor: 8 } })));
    const n = r.blocks[1].spec.nodes;
    expect(n.map((x) => x.kind)).toEqual(['conv', 'gpool', 'conv']);
    expect(n[2]).toMatchObject({ inChannels: 96, outChannels: 64, bn: false, act: 'hswish' });
  });
  it('activation suffixes', () => {
    const r = resolveArch(parseArchDef(arch([[['conv_k3_hs', 16, 2, 1], ['conv_k1_relu', 16, 1, 1], ['conv_k5', 16, 1, 1]]])));
    expect(r.blocks.map((b) => (b.spec.nodes[0] as ConvNode).act)).toEqual(['hswish', 'relu', 'relu']);
    expect(r.blocks.map((b) => (b.spec.nodes[0] as ConvNode).padding[0])).toEqual([1, 0, 2]);
  });
});

describe('op registry', () => {
  it('contains the grammar ops and refuses duplicates', () => {
    for (const name of ['conv_k1', 'conv_k5_hs', 'ir_k3', 'ir_k5_g2', 'ir_k3_sehsig_hs', 'ir_k5_se_relu', 'ir_pool', 'ir_pool_hs', 'skip']) {
      expect(OPS.has(name)).toBe(true);
    }
    expect(() => OPS.register('ir_k3', OPS.get('ir_k3'))).toThrow(/already registered/);
  });
  it('every registered op builds in a small arch', () => {
    for (const name of OPS.keys()) {
      const r = resolveArch(parseArchDef(arch([[['conv_k3', 16, 2, 1]], [[name, 32, 2, 1]]])));
      expect(r.blocks[1].spec.outChannels).toBe(32);
    }
  });
  it('errors are ArchDefErrors with a location', () => {
    try {
      parseArchDef(arch([[['conv_k3', 16, 2, 1]], [['nope', 16, 1, 1]]]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ArchDefError);
      expect((e as ArchDefError).location).toEqual({ stage: 1, block: 0, field: 'op' });
    }
  });
});

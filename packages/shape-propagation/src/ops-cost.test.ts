import { describe, expect, it } from 'vitest';
import { OPS } from '@fbnet/core';
import { archCost, archCostGraph, effectiveCostValue, type ArchCost } from './index.ts';

/**
 * Hand-checked counts for every op and kwarg. Convention: conv FLOPs = k*k*(cin/groups)*cout*hout*wout,
 * params = k*k*(cin/groups)*cout; SE = pool (h*w*c) + c*mid + mid*c; global pool = h*w*c;
 * head = pool + c*num_classes (num_classes = 2 unless said). Bias, BN, activations, shuffle,
 * residual adds: free.
 */
function arch(size: number, channels: number, blocks: unknown[][], basic: Record<string, number> = {}) {
  return { input_size: size, input_channels: channels, num_classes: 2, basic_args: { width_divisor: 1, ...basic }, blocks };
}

function check(def: ReturnType<typeof arch>, expected: { flops: number; params: number; block?: { flops: number; params: number; output: number[]; nodes?: string[] } }): ArchCost {
  const c = archCost(def as never);
  if (expected.block) {
    const b = c.blocks[c.blocks.length - 1];
    expect({ flops: b.flops, params: b.params, output: b.output }).toEqual({ flops: expected.block.flops, params: expected.block.params, output: expected.block.output });
    if (expected.block.nodes) expect(b.nodes.map((n) => n.name)).toEqual(expected.block.nodes);
  }
  expect({ flops: c.flops, params: c.params }).toEqual({ flops: expected.flops, params: expected.params });
  // the effective-cost graph of a concrete arch must agree to the unit
  const g = archCostGraph(def as never);
  expect(effectiveCostValue(g).cost).toBe(c.flops);
  expect(effectiveCostValue(g, {}, { mode: 'params' }).cost).toBe(c.params);
  return c;
}

describe('conv_k1 / conv_k3 / conv_k5 (+_hs/_relu)', () => {
  it('conv_k3 stride 2: 8x8x3 -> 4x4x4', () => {
    // conv 9*3*4 = 108 params, x 4*4 = 1728 FLOPs; head pool 4*4*4 = 64, fc 4*2 = 8
    check(arch(8, 3, [[['conv_k3', 4, 2, 1]]]), { flops: 1728 + 64 + 8, params: 108 + 8, block: { flops: 1728, params: 108, output: [4, 4, 4] } });
  });
  it('conv_k1: 8x8x3 -> 8x8x4', () => {
    // 3*4 = 12 params, x 64 = 768; head 8*8*4 = 256 + 8
    check(arch(8, 3, [[['conv_k1', 4, 1, 1]]]), { flops: 768 + 256 + 8, params: 12 + 8, block: { flops: 768, params: 12, output: [8, 8, 4] } });
  });
  it('conv_k5 keeps 8x8 with padding 2', () => {
    // 25*3*4 = 300 params, x 64 = 19200
    check(arch(8, 3, [[['conv_k5', 4, 1, 1]]]), { flops: 19200 + 256 + 8, params: 300 + 8, block: { flops: 19200, params: 300, output: [8, 8, 4] } });
  });
  it.each(['conv_k3_hs', 'conv_k3_relu'])('%s costs what conv_k3 costs (activations are free)', (op) => {
    check(arch(8, 3, [[[op, 4, 2, 1]]]), { flops: 1800, params: 116 });
  });
  it('odd input: conv_k3 stride 2 on 7x7 gives floor((7 + 2 - 3) / 2) + 1 = 4', () => {
    // 108 params x 16 = 1728; head 64 + 8
    check(arch(7, 3, [[['conv_k3', 4, 2, 1]]]), { flops: 1800, params: 116, block: { flops: 1728, params: 108, output: [4, 4, 4] } });
  });
  it('bias: true is not counted', () => {
    check(arch(8, 3, [[['conv_k3', 4, 2, 1, { bias: true }]]]), { flops: 1800, params: 116 });
  });
});

describe('ir_k3 / ir_k5 with expansion', () => {
  it('ir_k3 e3, residual: 8x8x4, mid 12', () => {
    // pw 4*12 = 48 (x64 = 3072); dw 9*12 = 108 (x64 = 6912); pwl 12*4 = 48 (3072)
    // block 13056 / 204; head 8*8*4 = 256 + 4*2 = 8
    check(arch(8, 4, [[['ir_k3', 4, 1, 1, { expansion: 3 }]]]), {
      flops: 13056 + 264,
      params: 204 + 8,
      block: { flops: 13056, params: 204, output: [8, 8, 4], nodes: ['pw', 'dw', 'pwl'] },
    });
  });
  it('ir_k3 default expansion 6: mid 24', () => {
    // pw 4*24 = 96 (6144); dw 9*24 = 216 (13824); pwl 96 (6144)
    check(arch(8, 4, [[['ir_k3', 4, 1, 1]]]), { flops: 26112 + 264, params: 408 + 8, block: { flops: 26112, params: 408, output: [8, 8, 4] } });
  });
  it('ir_k5 e1 stride 2: mid == in, so no pw', () => {
    // dw 25*4 = 100 params at floor((8 + 4 - 5)/2) + 1 = 4 -> 1600; pwl 4*8 = 32 -> 512
    // head 4*4*8 = 128 + 8*2 = 16
    check(arch(8, 4, [[['ir_k5', 8, 2, 1, { expansion: 1 }]]]), {
      flops: 2112 + 144,
      params: 132 + 16,
      block: { flops: 2112, params: 132, output: [4, 4, 8], nodes: ['dw', 'pwl'] },
    });
  });
  it('repeats after the first run at stride 1', () => {
    const c = archCost(arch(16, 4, [[['ir_k3', 8, 2, 3, { expansion: 1 }]]]) as never);
    expect(c.blocks.map((b) => b.output)).toEqual([[8, 8, 8], [8, 8, 8], [8, 8, 8]]);
  });
});

describe('_g2, pw_groups and pwl_groups', () => {
  it('ir_k3_g2 e2: grouped pw (2) + shuffle', () => {
    // pw 4->8 groups 2: 1*1*(4/2)*8 = 16 (1024); shuffle free; dw 9*8 = 72 (4608); pwl 8*8 = 64 (4096)
    // head 8*8*8 = 512 + 16
    check(arch(8, 4, [[['ir_k3_g2', 8, 1, 1, { expansion: 2 }]]]), {
      flops: 9728 + 528,
      params: 152 + 16,
      block: { flops: 9728, params: 152, output: [8, 8, 8], nodes: ['pw', 'shuffle', 'dw', 'pwl'] },
    });
  });
  it('ir_k3_g2 e2 with pwl_groups 2', () => {
    // pwl (8/2)*8 = 32 (2048) instead of 64 (4096)
    check(arch(8, 4, [[['ir_k3_g2', 8, 1, 1, { expansion: 2, pwl_groups: 2 }]]]), { flops: 7680 + 528, params: 120 + 16, block: { flops: 7680, params: 120, output: [8, 8, 8] } });
  });
  it('ir_k5_g2 e1: no pw (mid == in) but the shuffle stays, as in mobile-vision', () => {
    // dw 25*4 = 100 (6400); pwl 4*4 = 16 (1024)
    check(arch(8, 4, [[['ir_k5_g2', 4, 1, 1, { expansion: 1 }]]]), { flops: 7424 + 264, params: 116 + 8, block: { flops: 7424, params: 116, output: [8, 8, 4], nodes: ['shuffle', 'dw', 'pwl'] } });
  });
  it('pw_groups 4 on ir_k3', () => {
    // pw 4->8 groups 4: 1*8 = 8 (512); dw 72 (4608); pwl 64 (4096)
    check(arch(8, 4, [[['ir_k3', 8, 1, 1, { expansion: 2, pw_groups: 4 }]]]), { flops: 9216 + 528, params: 144 + 16, block: { flops: 9216, params: 144, output: [8, 8, 8], nodes: ['pw', 'shuffle', 'dw', 'pwl'] } });
  });
});

describe('_se / _sehsig, less_se_channels', () => {
  it('ir_k3_se e2 on 8x8x8: SE mid = 16 * 0.25 = 4', () => {
    // pw 8*16 = 128 (8192); dw 9*16 = 144 (9216); SE pool 8*8*16 = 1024 + 2*16*4 = 128 (params 128); pwl 16*8 = 128 (8192)
    // head 8*8*8 = 512 + 8*2 = 16
    check(arch(8, 8, [[['ir_k3_se', 8, 1, 1, { expansion: 2 }]]]), {
      flops: 26752 + 528,
      params: 528 + 16,
      block: { flops: 26752, params: 528, output: [8, 8, 8], nodes: ['pw', 'dw', 'se', 'pwl'] },
    });
  });
  it('less_se_channels: SE mid = 16 * 0.25 / 2 = 2', () => {
    // SE 1024 + 2*16*2 = 64
    check(arch(8, 8, [[['ir_k3_se', 8, 1, 1, { expansion: 2, less_se_channels: true }]]]), { flops: 26688 + 528, params: 464 + 16, block: { flops: 26688, params: 464, output: [8, 8, 8] } });
  });
  it('_sehsig_hs costs what _se costs', () => {
    check(arch(8, 8, [[['ir_k3_sehsig_hs', 8, 1, 1, { expansion: 2 }]]]), { flops: 26752 + 528, params: 528 + 16 });
    check(arch(8, 8, [[['ir_k5_se_relu', 8, 1, 1, { expansion: 2 }]]]), { flops: 26752 + 528 + 16 * 16 * 64, params: 528 + 16 + 16 * 16 });
  });
  it('less_se_channels with width_divisor 8: SE mid 2 rounds up to the divisor, 8', () => {
    // mid 16 stays 16; SE 1024 + 2*16*8 = 256
    check(arch(8, 8, [[['ir_k3_se', 8, 1, 1, { expansion: 2, less_se_channels: true }]]], { width_divisor: 8 }), { flops: 26880 + 528, params: 656 + 16 });
  });
  it('SE mid truncates before rounding: int(18 * 0.25) = 4, not 5', () => {
    // 4x4x6, mid 18: pw 6*18 = 108 (1728); dw 9*18 = 162 (2592); SE 4*4*18 = 288 + 2*18*4 = 144; pwl 108 (1728)
    // head 4*4*6 = 96 + 12
    check(arch(4, 6, [[['ir_k3_se', 6, 1, 1, { expansion: 3 }]]]), { flops: 6480 + 108, params: 522 + 12, block: { flops: 6480, params: 522, output: [4, 4, 6] } });
  });
});

describe('dw_args.padding, dw_group_ratio', () => {
  it('dw_args.padding as a number: k5 stride 2 padding 1 on 8x8 gives 3x3', () => {
    // pw 4*8 = 32 (2048); dw 25*8 = 200 at floor((8 + 2 - 5)/2) + 1 = 3 -> 1800; pwl 32 at 3x3 -> 288
    // head 3*3*4 = 36 + 8
    check(arch(8, 4, [[['ir_k5', 4, 2, 1, { expansion: 2, dw_args: { padding: 1 } }]]]), { flops: 4136 + 44, params: 264 + 8, block: { flops: 4136, params: 264, output: [3, 3, 4] } });
  });
  it('dw_args.padding as a pair [rows, cols] = [1, 2] gives 3x4', () => {
    // dw 200 x 12 = 2400; pwl 32 x 12 = 384; head 3*4*4 = 48 + 8
    check(arch(8, 4, [[['ir_k5', 4, 2, 1, { expansion: 2 }, { dw_args: { padding: [1, 2] } }]]]), { flops: 4832 + 56, params: 264 + 8, block: { flops: 4832, params: 264, output: [3, 4, 4] } });
  });
  it('dw_group_ratio 2: the dw conv has mid/2 groups of 2 channels', () => {
    // mid 16: pw 64 (4096); dw groups 8: 9*2*16 = 288 (18432); pwl 64 (4096)
    check(arch(8, 4, [[['ir_k3', 4, 1, 1, { expansion: 4, dw_group_ratio: 2 }]]]), { flops: 26624 + 264, params: 416 + 8, block: { flops: 26624, params: 416, output: [8, 8, 4] } });
  });
});

describe('ir_pool', () => {
  it('ir_pool e2 on 4x4x8: pw, global pool, 1x1 conv', () => {
    // pw 8*16 = 128 (2048); pool 4*4*16 = 256; pwl 16*16 = 256 at 1x1; head pool 16 + 16*2 = 32
    check(arch(4, 8, [[['ir_pool', 16, 1, 1, { expansion: 2 }]]]), {
      flops: 2560 + 48,
      params: 384 + 32,
      block: { flops: 2560, params: 384, output: [1, 1, 16], nodes: ['pw', 'pool', 'pwl'] },
    });
  });
  it('ir_pool_hs e1: no pw', () => {
    // pool 4*4*8 = 128; pwl 8*16 = 128
    check(arch(4, 8, [[['ir_pool_hs', 16, 1, 1, { expansion: 1 }]]]), { flops: 256 + 48, params: 128 + 32, block: { flops: 256, params: 128, output: [1, 1, 16], nodes: ['pool', 'pwl'] } });
  });
});

describe('skip', () => {
  it('identity when the shape is kept: free', () => {
    check(arch(8, 4, [[['skip', 4, 1, 1]]]), { flops: 264, params: 8, block: { flops: 0, params: 0, output: [8, 8, 4], nodes: [] } });
  });
  it('projection (1x1 conv, stride 2) when the shape changes', () => {
    // 4*8 = 32 params at floor((8 - 1)/2) + 1 = 4 -> 512; head 4*4*8 = 128 + 16
    check(arch(8, 4, [[['skip', 8, 2, 1]]]), { flops: 512 + 144, params: 32 + 16, block: { flops: 512, params: 32, output: [4, 4, 8], nodes: ['proj'] } });
  });
  it('projection for a stride alone', () => {
    // 4*4 = 16 params x 16 = 256; head 4*4*4 = 64 + 8
    check(arch(8, 4, [[['skip', 4, 2, 1]]]), { flops: 256 + 72, params: 16 + 8 });
  });
  it('skip accepts and ignores IR kwargs (expansion), as the mobile-vision factory does', () => {
    check(arch(8, 4, [[['skip', 4, 1, 1, { expansion: 6 }]]]), { flops: 264, params: 8 });
  });
});

describe('width_divisor rounding of the expanded width', () => {
  it('12 * 1.5 = 18 rounds to 16, below 95% of 18, so up to 24', () => {
    // 4x4x12, mid 24: pw 12*24 = 288 (4608); dw 9*24 = 216 (3456); pwl 288 (4608); head 4*4*12 = 192 + 24
    const c = check(arch(4, 12, [[['ir_k3', 12, 1, 1, { expansion: 1.5 }]]], { width_divisor: 8 }), { flops: 12672 + 216, params: 792 + 24 });
    expect(c.blocks[0].nodes[0].output).toEqual([4, 4, 24]);
  });
  it('a per-block width_divisor kwarg overrides basic_args', () => {
    check(arch(4, 12, [[['ir_k3', 12, 1, 1, { expansion: 1.5, width_divisor: 8 }]]]), { flops: 12672 + 216, params: 792 + 24 });
  });
  it('width_divisor 1 keeps 18', () => {
    // pw 12*18 = 216 (3456); dw 162 (2592); pwl 216 (3456)
    check(arch(4, 12, [[['ir_k3', 12, 1, 1, { expansion: 1.5 }]]]), { flops: 9504 + 216, params: 594 + 24 });
  });
  it('12 * 3 = 36 rounds half up to 40; 20 * 3 = 60 to 64', () => {
    const mid = (cin: number, e: number) => archCost(arch(4, cin, [[['ir_k3', cin, 1, 1, { expansion: e }]]], { width_divisor: 8 }) as never).blocks[0].nodes[0].output[2];
    expect(mid(12, 3)).toBe(40);
    expect(mid(20, 3)).toBe(64);
  });
  it('rounding back to the input width drops the pw: 16 * 1.02 = 16.32 -> 16', () => {
    const c = archCost(arch(4, 16, [[['ir_k3', 16, 1, 1, { expansion: 1.02 }]]], { width_divisor: 8 }) as never);
    expect(c.blocks[0].nodes.map((n) => n.name)).toEqual(['dw', 'pwl']);
  });
});

describe('kwargs without cost effect', () => {
  it('zero_last_bn_gamma changes initialisation only', () => {
    check(arch(8, 4, [[['ir_k3', 4, 1, 1, { expansion: 3, zero_last_bn_gamma: true }]]]), { flops: 13056 + 264, params: 204 + 8 });
  });
});

describe('every registered op (one test walks them all)', () => {
  const ops = OPS.keys().sort();
  it('the registry is not empty', () => {
    expect(ops.length).toBeGreaterThanOrEqual(40);
  });
  it.each(ops)('%s: shapes and cost are finite, positive and agree with the effective graph', (op) => {
    // 16x16x3 -> stem 16 channels -> the op at stride 2 (ir_pool pools, so stride 1)
    const def = arch(16, 3, [[['conv_k3', 16, 1, 1]], [[op, op.startsWith('ir_pool') ? 32 : 24, op.startsWith('ir_pool') ? 1 : 2, 1]]]);
    const c = archCost(def as never);
    const b = c.blocks[1];
    expect(b.op).toBe(op);
    for (const s of [b.input, b.output, ...b.nodes.map((n) => n.output)]) {
      for (const x of s) {
        expect(Number.isInteger(x)).toBe(true);
        expect(x).toBeGreaterThan(0);
      }
    }
    expect(b.output[2]).toBe(op.startsWith('ir_pool') ? 32 : 24);
    expect(Number.isSafeInteger(b.flops) && b.flops > 0).toBe(true);
    expect(Number.isSafeInteger(b.params) && b.params > 0).toBe(true);
    const g = archCostGraph(def as never);
    expect(effectiveCostValue(g).cost).toBe(c.flops);
    expect(effectiveCostValue(g, {}, { mode: 'params' }).cost).toBe(c.params);
  });
});

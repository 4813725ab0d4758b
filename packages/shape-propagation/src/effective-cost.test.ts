import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArchDefError, FbnetError } from '@fbnet/core';
import { effectiveCost, effectiveCostValue, propagateEffective, type EffectiveGraph } from './index.ts';
import { disposeAll, toTensors, useCpu } from './_test-support.ts';

beforeAll(useCpu);

/**
 * Two layers, hand-checked (eqs. 5, 8, 10): 8x8x3 input; conv k3 (pad 1) whose output width is
 * chosen among {4, 8} by g; then a fixed 1x1 conv to 10.
 *   C̄1 = 4 g0 + 8 g1;  FLOPs = 9*8*8*3*C̄1 + 1*8*8*C̄1*10 = (1728 + 640) C̄1 = 2368 C̄1
 *   at g = [0.25, 0.75]: C̄1 = 7, FLOPs = 16576, dFLOPs/dg = 2368 * [4, 8] = [9472, 18944]
 *   params = (27 + 10) C̄1 = 259, dparams/dg = 37 * [4, 8] = [148, 296]
 */
const toy: EffectiveGraph = {
  version: 1,
  choices: { c1: 2 },
  input: { channels: 3, sizes: [[8, 8]] },
  layers: [
    { kind: 'path', name: 'l1', nodes: [{ kind: 'conv', name: 'conv', kernel: 3, stride: 1, padding: [1, 1], out: { choice: 'c1', options: [4, 8] } }] },
    { kind: 'path', name: 'l2', nodes: [{ kind: 'conv', name: 'conv', kernel: 1, stride: 1, padding: [0, 0], out: 10 }] },
  ],
};

describe('two-layer toy, hand-computed', () => {
  it('value and effective shapes', () => {
    const r = effectiveCostValue(toy, { c1: [0.25, 0.75] });
    expect(r.cost).toBe(16576);
    expect(r.layers.map((l) => [l.channels, l.height, l.width, l.cost])).toEqual([
      [7, 8, 8, 12096],
      [10, 8, 8, 4480],
    ]);
    expect(effectiveCostValue(toy, { c1: [0.25, 0.75] }, { mode: 'params' }).cost).toBe(259);
  });

  it('tf value and gradient w.r.t. the Gumbel weights', () => {
    const g = tf.tensor1d([0.25, 0.75]);
    const flops = tf.valueAndGrad((w: tf.Tensor) => effectiveCost(toy, { c1: w as tf.Tensor1D }));
    const { value, grad } = flops(g);
    expect(value.dataSync()[0]).toBe(16576);
    expect(Array.from(grad.dataSync())).toEqual([9472, 18944]);
    const params = tf.grad((w: tf.Tensor) => effectiveCost(toy, { c1: w as tf.Tensor1D }, { mode: 'params' }));
    expect(Array.from(params(g).dataSync())).toEqual([148, 296]);
    tf.dispose([g, value, grad]);
  });

  it('propagateEffective returns C̄, h̄, w̄ per layer as tensors', () => {
    const g = tf.tensor1d([0.25, 0.75]);
    const r = propagateEffective(toy, { c1: g });
    expect(r.layers.map((l) => l.channels.dataSync()[0])).toEqual([7, 10]);
    expect(r.cost.dataSync()[0]).toBe(16576);
    tf.dispose([g, r.cost, ...r.layers.flatMap((l) => [l.channels, l.height, l.width, l.cost])]);
  });
});

describe('resolution choice (eq. 6), hand-computed', () => {
  /**
   * Input 8x8 or 4x4 chosen by r; conv k3 stride 2 pad 1 to 4 channels: h_out = [4, 2].
   * At r = [0.5, 0.5]: h̄ = w̄ = 3; FLOPs = 9*3*4 * h̄ w̄ = 108 * 9 = 972.
   * d/dr_i = 108 * (h_i w̄ + h̄ w_i) = 108 * 6 * h_i = [2592, 1296]; head pool 1x1 after gpool is constant.
   */
  const g: EffectiveGraph = {
    version: 1,
    choices: { res: 2 },
    input: { channels: 3, sizes: [[8, 8], [4, 4]], resolution: 'res' },
    layers: [{ kind: 'path', name: 'l1', nodes: [{ kind: 'conv', name: 'c', kernel: 3, stride: 2, padding: [1, 1], out: 4 }] }],
  };
  it('value and gradient', () => {
    expect(effectiveCostValue(g, { res: [0.5, 0.5] }).cost).toBe(972);
    const r = tf.tensor1d([0.5, 0.5]);
    const grad = tf.grad((w: tf.Tensor) => effectiveCost(g, { res: w as tf.Tensor1D }))(r);
    expect(Array.from(grad.dataSync())).toEqual([2592, 1296]);
    // params do not depend on the resolution
    expect(Array.from(tf.grad((w: tf.Tensor) => effectiveCost(g, { res: w as tf.Tensor1D }, { mode: 'params' }))(r).dataSync())).toEqual([0, 0]);
    tf.dispose([r, grad]);
  });
  it('one-hot picks the exact (floor) size of that resolution', () => {
    expect(effectiveCostValue(g, { res: [0, 1] }).layers[0].height).toBe(2);
    expect(effectiveCostValue(g, { res: [0, 1] }).cost).toBe(108 * 4);
  });
});

describe('V1 mixture: Σ m_i cost(b_i), C̄_out = Σ m_i C_out(b_i), hand-computed', () => {
  /**
   * 8x8x4 input; candidates: A conv k3 -> 8 (9*4*8*64 = 18432), B conv k1 -> 8 (4*8*64 = 2048),
   * C identity (0, keeps 4). Then a fixed 1x1 conv to 2: 64 * 2 * C̄ = 128 C̄.
   * m = [0.5, 0.3, 0.2]: cost = 9216 + 614.4 = 9830.4; C̄ = 4 + 2.4 + 0.8 = 7.2; next 921.6; total 10752.
   * d/dm_i = cost_i + 128 C_i = [18432 + 1024, 2048 + 1024, 0 + 512]
   */
  const g: EffectiveGraph = {
    version: 1,
    choices: { m: 3 },
    input: { channels: 4, sizes: [[8, 8]] },
    layers: [
      {
        kind: 'mixture',
        name: 'layer0',
        choice: 'm',
        candidates: [
          { name: 'A', nodes: [{ kind: 'conv', name: 'c', kernel: 3, stride: 1, padding: [1, 1], out: 8 }] },
          { name: 'B', nodes: [{ kind: 'conv', name: 'c', kernel: 1, stride: 1, padding: [0, 0], out: 8 }] },
          { name: 'C', nodes: [] },
        ],
      },
      { kind: 'path', name: 'l1', nodes: [{ kind: 'conv', name: 'c', kernel: 1, stride: 1, padding: [0, 0], out: 2 }] },
    ],
  };
  it('value', () => {
    const r = effectiveCostValue(g, { m: [0.5, 0.3, 0.2] });
    expect(r.cost).toBeCloseTo(10752, 9);
    expect(r.layers[0].channels).toBeCloseTo(7.2, 12);
  });
  it('gradient', () => {
    const m = tf.tensor1d([0.5, 0.3, 0.2]);
    const grad = tf.grad((w: tf.Tensor) => effectiveCost(g, { m: w as tf.Tensor1D }))(m);
    expect(Array.from(grad.dataSync())).toEqual([19456, 3072, 512]);
    tf.dispose([m, grad]);
  });
});

describe('a mixture whose candidates agree on the output count passes the real count (eq. 8)', () => {
  // candidates k3 / k1 both to 8: C̄ = 8 whatever m is, so the next layer's cost (64 * 8 * 2 = 1024)
  // does not depend on m; d/dm_i = cost_i only = [18432, 2048]
  const g: EffectiveGraph = {
    version: 1,
    choices: { m: 2 },
    input: { channels: 4, sizes: [[8, 8]] },
    layers: [
      {
        kind: 'mixture',
        name: 'layer0',
        choice: 'm',
        candidates: [
          { name: 'A', nodes: [{ kind: 'conv', name: 'c', kernel: 3, stride: 1, padding: [1, 1], out: 8 }] },
          { name: 'B', nodes: [{ kind: 'conv', name: 'c', kernel: 1, stride: 1, padding: [0, 0], out: 8 }] },
        ],
      },
      { kind: 'path', name: 'l1', nodes: [{ kind: 'conv', name: 'c', kernel: 1, stride: 1, padding: [0, 0], out: 2 }] },
    ],
  };
  it('value, channels and gradient', () => {
    const r = effectiveCostValue(g, { m: [0.25, 0.75] });
    expect(r.layers[0].channels).toBe(8);
    expect(r.cost).toBe(0.25 * 18432 + 0.75 * 2048 + 1024);
    const m = tf.tensor1d([0.25, 0.75]);
    const grad = tf.grad((w: tf.Tensor) => effectiveCost(g, { m: w as tf.Tensor1D }))(m);
    expect(Array.from(grad.dataSync())).toEqual([18432, 2048]);
    tf.dispose([m, grad]);
  });
});

describe('depthwise, grouped, SE, pool and gate terms', () => {
  /**
   * 4x4x8 input, width choice w over {8, 16} for a pw; then a depthwise k3 (eq. 9: passes C̄),
   * an SE with mid 4, a grouped (γ = 2) 1x1 to 8, a gated 1x1 (gate choice q over {0, 1}) and a pool.
   * At w = [0.5, 0.5], q = [0.25, 0.75]: C̄ = 12.
   *   pw 1*8*C̄*16 = 1536; dw 9*C̄*16 = 1728; SE 16*C̄ + 2*C̄*4 = 192 + 96 = 288;
   *   grouped (C̄/2)*8*16 = 768; gated 8*8*16 * 0.75 = 768; pool 16*8 = 128. Total 5216.
   */
  const g: EffectiveGraph = {
    version: 1,
    choices: { w: 2, q: 2 },
    input: { channels: 8, sizes: [[4, 4]] },
    layers: [
      {
        kind: 'path',
        name: 'b',
        nodes: [
          { kind: 'conv', name: 'pw', kernel: 1, stride: 1, padding: [0, 0], out: { choice: 'w', options: [8, 16] } },
          { kind: 'conv', name: 'dw', kernel: 3, stride: 1, padding: [1, 1], out: 'same' },
          { kind: 'se', name: 'se', mid: 4 },
          { kind: 'conv', name: 'pwl', kernel: 1, stride: 1, padding: [0, 0], out: 8, groups: 2 },
          { kind: 'conv', name: 'proj', kernel: 1, stride: 1, padding: [0, 0], out: 8, gate: { choice: 'q', options: [0, 1] } },
          { kind: 'gpool', name: 'pool' },
        ],
      },
    ],
  };
  it('flops and params', () => {
    const w = { w: [0.5, 0.5], q: [0.25, 0.75] };
    expect(effectiveCostValue(g, w).cost).toBe(5216);
    // params: pw 8*12 = 96; dw 9*12 = 108; SE 2*12*4 = 96; grouped 6*8 = 48; gated 64*0.75 = 48
    expect(effectiveCostValue(g, w, { mode: 'params' }).cost).toBe(396);
    const t = toTensors(w);
    expect(effectiveCost(g, t).dataSync()[0]).toBe(5216);
    disposeAll(t);
  });
  it('a table over two choices: Σ_ij g_i h_j T[i][j]', () => {
    const tg: EffectiveGraph = {
      version: 1,
      choices: { a: 2, b: 3 },
      input: { channels: 1, sizes: [[1, 1]] },
      layers: [{ kind: 'path', name: 't', nodes: [{ kind: 'conv', name: 'c', kernel: 1, stride: 1, padding: [0, 0], out: { choices: ['a', 'b'], table: [1, 2, 3, 4, 5, 6] } }] }],
    };
    // C̄ = 0.5*(0.2*1 + 0.3*2 + 0.5*3) + 0.5*(0.2*4 + 0.3*5 + 0.5*6) = 0.5*2.3 + 0.5*5.3 = 3.8
    const w = { a: [0.5, 0.5], b: [0.2, 0.3, 0.5] };
    expect(effectiveCostValue(tg, w).cost).toBeCloseTo(3.8, 12);
    const t = toTensors(w);
    expect(effectiveCost(tg, t).dataSync()[0]).toBeCloseTo(3.8, 5);
    const [ga, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) => effectiveCost(tg, { a: a as tf.Tensor1D, b: b as tf.Tensor1D }))([t.a, t.b]);
    // d/da_i = Σ_j b_j T[i][j] = [2.3, 5.3]; d/db_j = Σ_i a_i T[i][j] = [2.5, 3.5, 4.5]
    expect(Array.from(ga.dataSync()).map((x) => +x.toFixed(5))).toEqual([2.3, 5.3]);
    expect(Array.from(gb.dataSync()).map((x) => +x.toFixed(5))).toEqual([2.5, 3.5, 4.5]);
    disposeAll(t);
    tf.dispose([ga, gb]);
  });
});

describe('memory', () => {
  it('effectiveCost leaves only its result', () => {
    const g = tf.tensor1d([0.25, 0.75]);
    const before = tf.memory().numTensors;
    const c = effectiveCost(toy, { c1: g });
    expect(tf.memory().numTensors).toBe(before + 1);
    c.dispose();
    const grad = tf.grad((w: tf.Tensor) => effectiveCost(toy, { c1: w as tf.Tensor1D }))(g);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([g, grad]);
  });
  it('a graph without choices gives a constant scalar', () => {
    const g: EffectiveGraph = { ...toy, choices: {}, layers: [toy.layers[1]] };
    const c = effectiveCost(g, {});
    expect(c.dataSync()[0]).toBe(64 * 3 * 10);
    c.dispose();
  });
});

describe('errors', () => {
  it('missing or mis-sized weights name the choice', () => {
    expect(() => effectiveCostValue(toy, {})).toThrow(/no Gumbel weights for choice "c1" \(2 options\)/);
    expect(() => effectiveCostValue(toy, { c1: [1, 0, 0] })).toThrow(/"c1" have 3 entries, the choice has 2 options/);
  });
  it('a one-option choice may be omitted', () => {
    const g: EffectiveGraph = {
      ...toy,
      choices: { c1: 1 },
      layers: [{ kind: 'path', name: 'l1', nodes: [{ kind: 'conv', name: 'conv', kernel: 3, stride: 1, padding: [1, 1], out: { choice: 'c1', options: [4] } }] }, toy.layers[1]],
    };
    expect(effectiveCostValue(g).cost).toBe(2368 * 4);
  });
  it('undeclared choices, bad tables, collapsing maps and mismatched mixtures are rejected', () => {
    const bad = (layers: EffectiveGraph['layers'], choices: Record<string, number> = {}) => () => effectiveCostValue({ version: 1, choices, input: { channels: 3, sizes: [[4, 4]] }, layers }, { x: [0.5, 0.5] });
    const conv = (o: object = {}) => ({ kind: 'conv' as const, name: 'c', kernel: 3, stride: 1, padding: [1, 1] as [number, number], out: 4, ...o });
    expect(bad([{ kind: 'path', name: 'p', nodes: [conv({ out: { choice: 'x', options: [1, 2] } })] }])).toThrow(/unknown choice "x"/);
    expect(bad([{ kind: 'path', name: 'p', nodes: [conv({ out: { choices: ['x'], table: [1, 2, 3] } })] }], { x: 2 })).toThrow(/needs 2 entries, got 3/);
    expect(bad([{ kind: 'path', name: 'p', nodes: [conv({ kernel: 7, padding: [0, 0] })] }])).toThrow(/output would be -2x-2/);
    expect(bad([{ kind: 'path', name: 'p', location: { stage: 2, block: 1 }, nodes: [conv({ kernel: 7, padding: [0, 0] })] }])).toThrow(ArchDefError);
    expect(bad([{ kind: 'path', name: 'p', nodes: [conv({ stride: 2, gate: { choice: 'x', options: [0, 1] } })] }], { x: 2 })).toThrow(/gated conv must keep the spatial size/);
    expect(
      bad([{ kind: 'mixture', name: 'm', choice: 'x', candidates: [{ name: 'a', nodes: [conv({ stride: 2 })] }, { name: 'b', nodes: [conv()] }] }], { x: 2 }),
    ).toThrow(/must agree on spatial size/);
    expect(bad([], {})).not.toThrow();
    expect(() => effectiveCostValue({ version: 2 } as never)).toThrow(FbnetError);
  });
});

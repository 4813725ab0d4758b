import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArchDefError, archFromChoice, getSearchSpacePreset, OPS, parseSearchSpace, Rng, sampleChoice, searchLayers, type SearchSpace } from '@fbnet/core';
import {
  archCost,
  archCostGraph,
  compactCount,
  effectiveCost,
  effectiveCostValue,
  mergeBlockSpecs,
  oneHotWeights,
  spaceCostGraph,
  spaceWeights,
  type EffectiveGraph,
} from './index.ts';
import { disposeAll, toTensors, useCpu, v2TestSpace } from './_test-support.ts';

beforeAll(useCpu);

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8'));

/** At one-hot weights the effective cost is the concrete cost of the derived arch, to the unit. */
function checkOneHot(space: SearchSpace, graph: EffectiveGraph, seed: number, n: number, tensorExact: boolean): void {
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const choice = sampleChoice(space, rng);
    const concrete = archCost(archFromChoice(space, choice));
    const w = oneHotWeights(space, choice);
    expect(effectiveCostValue(graph, w).cost).toBe(concrete.flops);
    expect(effectiveCostValue(graph, w, { mode: 'params' }).cost).toBe(concrete.params);
    const t = toTensors(w);
    const flops = effectiveCost(graph, t);
    const params = effectiveCost(graph, t, { mode: 'params' });
    if (tensorExact) {
      // float32 is exact while every partial sum stays below 2^24
      expect(flops.dataSync()[0]).toBe(concrete.flops);
      expect(params.dataSync()[0]).toBe(concrete.params);
    } else {
      expect(Math.abs(flops.dataSync()[0] - concrete.flops) / concrete.flops).toBeLessThan(1e-6);
      expect(Math.abs(params.dataSync()[0] - concrete.params) / concrete.params).toBeLessThan(1e-6);
    }
    tf.dispose([flops, params]);
    disposeAll(t);
  }
}

describe('search-space cost graph at one-hot weights equals archCost(archFromChoice(...))', () => {
  it('fbnet-v1-fmnist (exact in float32 too)', () => {
    const space = getSearchSpacePreset('fbnet-v1-fmnist');
    checkOneHot(space, spaceCostGraph(space), 1, 25, true);
  });

  it('fbnet-v1-imagenet (exact in float64; float32 within 1e-6)', () => {
    const space = getSearchSpacePreset('fbnet-v1-imagenet');
    checkOneHot(space, spaceCostGraph(space), 2, 15, false);
  });

  it('a V2 space with channel, expansion and resolution choices (exact in float32 too)', () => {
    const space = v2TestSpace();
    const graph = spaceCostGraph(space);
    expect(Object.keys(graph.choices).sort()).toEqual(
      ['channels/0', 'channels/1', 'channels/2', 'channels/3', 'expansion/0', 'expansion/1', 'op/0', 'op/1', 'op/2', 'op/3', 'resolution'].sort(),
    );
    checkOneHot(space, graph, 3, 40, true);
  });

  it('choices left out of an ArchChoice default as archFromChoice does (largest width, input_size)', () => {
    const space = v2TestSpace();
    const choice = { ops: [1, 0, 2, 3], expansions: [2, 0, 0, 0] };
    expect(effectiveCostValue(spaceCostGraph(space), oneHotWeights(space, choice)).cost).toBe(archCost(archFromChoice(space, choice)).flops);
  });

  it('the V2 graph uses the paper forms: fixed counts, Σ g_i C_i over one choice, tables only where rounding couples choices', () => {
    const graph = spaceCostGraph(v2TestSpace());
    const layer1 = graph.layers.find((l) => l.name === 'layer1');
    expect(layer1?.kind).toBe('mixture');
    if (layer1?.kind !== 'mixture') return;
    const [k3, , skip] = layer1.candidates;
    // pw width = round8(C_in * e): depends on the previous width choice and this expansion choice
    expect(k3.nodes[0]).toMatchObject({ name: 'pw', out: { choices: ['channels/0', 'expansion/1'] } });
    expect(k3.nodes[1]).toMatchObject({ name: 'dw', out: 'same' });
    expect(k3.nodes[2]).toMatchObject({ name: 'pwl', out: { choice: 'channels/1', options: [8, 16, 24] } });
    // the skip projects only where C_in != C_out
    expect(skip.nodes).toEqual([
      {
        kind: 'conv',
        name: 'proj',
        kernel: 1,
        stride: 1,
        padding: [0, 0],
        out: { choice: 'channels/1', options: [8, 16, 24] },
        gate: { choices: ['channels/0', 'channels/1'], table: [0, 1, 1, 1, 0, 1, 1, 1, 0] },
      },
    ]);
  });
});

describe('gradients against finite differences (float64 central differences of the same expression)', () => {
  function softmax(xs: number[]): number[] {
    const m = Math.max(...xs);
    const e = xs.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  }

  it.each(['flops', 'params'] as const)('V2 space, %s', (mode) => {
    const space = v2TestSpace();
    const graph = spaceCostGraph(space);
    const rng = new Rng(7);
    const w: Record<string, number[]> = Object.fromEntries(Object.entries(graph.choices).map(([k, n]) => [k, softmax(Array.from({ length: n }, () => 2 * rng.normal()))]));
    const keys = Object.keys(w);
    const tensors = keys.map((k) => tf.tensor1d(w[k]));
    const f = (...xs: tf.Tensor[]) => effectiveCost(graph, Object.fromEntries(keys.map((k, i) => [k, xs[i] as tf.Tensor1D])), { mode });
    const { value, grads } = tf.valueAndGrads(f)(tensors);
    const exact = effectiveCostValue(graph, w, { mode }).cost;
    expect(Math.abs(value.dataSync()[0] - exact) / exact).toBeLessThan(1e-5);
    const h = 1e-4;
    let maxAbs = 0;
    const pairs: [number, number][] = [];
    keys.forEach((k, ki) => {
      const g = grads[ki].dataSync();
      w[k].forEach((x, i) => {
        const plus = { ...w, [k]: w[k].map((y, j) => (j === i ? x + h : y)) };
        const minus = { ...w, [k]: w[k].map((y, j) => (j === i ? x - h : y)) };
        const fd = (effectiveCostValue(graph, plus, { mode }).cost - effectiveCostValue(graph, minus, { mode }).cost) / (2 * h);
        pairs.push([g[i], fd]);
        maxAbs = Math.max(maxAbs, Math.abs(fd));
      });
    });
    expect(maxAbs).toBeGreaterThan(0);
    for (const [g, fd] of pairs) expect(Math.abs(g - fd)).toBeLessThan(1e-4 * maxAbs);
    if (mode === 'params') expect(Array.from(grads[keys.indexOf('resolution')].dataSync())).toEqual([0, 0, 0]);
    tf.dispose([value, ...grads, ...tensors]);
  });
});

describe('archCostGraph: a DMasking supernet on a concrete arch', () => {
  const def = fixture('fbnetv3_a');

  it('without options it is the concrete count', () => {
    expect(effectiveCostValue(archCostGraph(def)).cost).toBe(356_598_280);
  });

  it('a channel choice on a pw: one-hot on the real width is exact; the narrower width saves what the hand count says', () => {
    // block 12 = stage 4 block 0 (k5, stride 2, dw padding 1): pw 40->200 at 28x28, dw 200 (k5) at 13x13, pwl 200->72 at 13x13.
    // Masking the expanded width to 120 saves 80 * (40*784 + 25*169 + 72*169) = 80 * 47753 = 3,820,240 FLOPs.
    const g = archCostGraph(def, { channels: { '12/pw': { choice: 'mid', options: [120, 200] } } });
    expect(effectiveCostValue(g, { mid: [0, 1] }).cost).toBe(356_598_280);
    expect(effectiveCostValue(g, { mid: [1, 0] }).cost).toBe(356_598_280 - 3_820_240);
    // params: 80 * (40 + 25 + 72)
    expect(effectiveCostValue(g, { mid: [1, 0] }, { mode: 'params' }).cost).toBe(8_542_224 - 80 * 137);
    // at g = [0.5, 0.5] the width is 160 and the saving is half (the cost is linear in C̄ here)
    expect(effectiveCostValue(g, { mid: [0.5, 0.5] }).cost).toBe(356_598_280 - 1_910_120);
  });

  it('a resolution choice: one-hot on 248 gives FBNetV3-B', () => {
    const g = archCostGraph(def, { resolution: { choice: 'res', sizes: [224, 248] } });
    expect(effectiveCostValue(g, { res: [1, 0] }).cost).toBe(356_598_280);
    expect(effectiveCostValue(g, { res: [0, 1] }).cost).toBe(461_550_136);
  });

  it('rejects keys that name no node', () => {
    expect(() => archCostGraph(def, { channels: { '99/pw': 8 } })).toThrow(/no node "99\/pw"/);
    expect(() => archCostGraph(def, { channels: { '1/pw': 8 } })).toThrow(/no node "1\/pw"/);
  });
});

describe('compactCount and mergeBlockSpecs', () => {
  it('drops the axes a count does not depend on', () => {
    expect(compactCount([5, 5, 5, 5, 5, 5], ['a', 'b'], [2, 3])).toBe(5);
    expect(compactCount([1, 2, 3, 1, 2, 3], ['a', 'b'], [2, 3])).toEqual({ choice: 'b', options: [1, 2, 3] });
    expect(compactCount([1, 1, 1, 2, 2, 2], ['a', 'b'], [2, 3])).toEqual({ choice: 'a', options: [1, 2] });
    expect(compactCount([1, 2, 3, 4, 5, 6], ['a', 'b'], [2, 3])).toEqual({ choices: ['a', 'b'], table: [1, 2, 3, 4, 5, 6] });
  });

  const build = (op: string, cin: number, cout: number, stride: number, kwargs = {}, wd = 8) => OPS.get(op).build({ inChannels: cin, outChannels: cout, stride, kwargs, widthDivisor: wd });

  it('a pw that exists only where mid != in gets a gate', () => {
    // in 8, e in {1, 2}: mid 8 (no pw) or 16
    const nodes = mergeBlockSpecs([build('ir_k3', 8, 16, 1, { expansion: 1 }), build('ir_k3', 8, 16, 1, { expansion: 2 })], ['e'], [2]);
    expect(nodes).toEqual([
      { kind: 'conv', name: 'pw', kernel: 1, stride: 1, padding: [0, 0], out: { choice: 'e', options: [8, 16] }, gate: { choice: 'e', options: [0, 1] } },
      { kind: 'conv', name: 'dw', kernel: 3, stride: 1, padding: [1, 1], out: 'same' },
      { kind: 'conv', name: 'pwl', kernel: 1, stride: 1, padding: [0, 0], out: 16 },
    ]);
  });

  it('SE mid widths and grouped convs become counts over the choice', () => {
    const nodes = mergeBlockSpecs([build('ir_k3_g2_se', 16, 16, 1, { expansion: 1 }), build('ir_k3_g2_se', 16, 16, 1, { expansion: 2 })], ['e'], [2]);
    expect(nodes.map((n) => n.name)).toEqual(['pw', 'dw', 'se', 'pwl']);
    expect(nodes[0]).toMatchObject({ out: { choice: 'e', options: [16, 32] }, groups: 2, gate: { choice: 'e', options: [0, 1] } });
    expect(nodes[2]).toEqual({ kind: 'se', name: 'se', mid: 8 });
  });

  it('specs that disagree on kernel are rejected', () => {
    expect(() => mergeBlockSpecs([build('ir_k3', 8, 8, 1), build('ir_k5', 8, 8, 1)], ['x'], [2], { stage: 1, block: 2 })).toThrow(/stage 1, block 2: .*changes kernel/);
  });
});

describe('errors', () => {
  it('a resolution too small for the space names the stage and block', () => {
    // fmnist macro-arch at 56 or 28 plus a k5 block with dw padding 0: 28 -> 14 -> 14 -> 7 -> 4 -> 4, then floor((4 - 5)/1) + 1 = 0
    const base = getSearchSpacePreset('fbnet-v1-fmnist');
    const space = parseSearchSpace({ ...base, input_size: 56, resolutions: [28, 56], stages: [...base.stages, [{ fixed: ['ir_k5', 64, 1, 1, { dw_args: { padding: 0 } }] }]] });
    expect(() => spaceCostGraph(space)).not.toThrow();
    expect(() => effectiveCostValue(spaceCostGraph(space), {})).toThrow(ArchDefError);
    expect(() => effectiveCostValue(spaceCostGraph(space), {})).toThrow(/stage 5, block 0: .*output would be 0x0 \(input 4x4, kernel 5, stride 1\) at input resolution 28x28/);
  });
  it('a channel choice that a candidate cannot take names the layer, the candidate and the width', () => {
    // ir_k3_g2 with pwl_groups 2 cannot map 12 input channels to an odd 9
    const space = parseSearchSpace({
      version: 1,
      name: 'odd',
      input_size: 8,
      candidates: { g2: { op: 'ir_k3_g2', kwargs: { expansion: 1, pwl_groups: 2 } } },
      stages: [[{ fixed: ['conv_k3', 12, 1, 1] }], [{ searchable: { c: 12, s: 1, n: 1, candidates: ['g2'], channels: [9, 12] } }]],
    });
    expect(() => spaceCostGraph(space)).toThrow(/invalid arch def: stage 1, block 0: layer 0 candidate "g2" with 12 input channels: ir_k3_g2: pwl output channels 9 not divisible by groups 2/);
  });
  it('spaceWeights checks the number of layers', () => {
    const space = getSearchSpacePreset('fbnet-v1-fmnist');
    expect(() => spaceWeights(space, { ops: [] })).toThrow(/0 op weight vectors for 7 searchable layers/);
    expect(Object.keys(spaceWeights(space, { ops: searchLayers(space).map(() => [1]) }))).toHaveLength(7);
  });
});

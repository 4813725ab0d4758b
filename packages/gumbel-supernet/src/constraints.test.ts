import { describe, expect, it } from 'vitest';
import { archFromChoice, getSearchSpacePreset, Rng, searchLayers } from '@fbnet/core';
import { archCost } from '@fbnet/shape-propagation';
import { choiceCosts, layerCosts, meetsConstraints, mostProbableUnder, type LayerCosts, type V1Constraints } from './constraints.ts';
import { argmaxTheta, thetaProbs } from './gumbel.ts';

describe('V1 constraints: additive layer costs, the most probable arch under limits', () => {
  it.each(['fbnet-v1-fmnist', 'fbnet-v1-imagenet'])('%s: params and FLOPs of any choice are the sum of per-layer shares (checked against shape propagation of the whole arch)', (name) => {
    const space = getSearchSpacePreset(name);
    const layers = searchLayers(space);
    const c = layerCosts(space);
    const rng = new Rng(3);
    for (let i = 0; i < 25; i++) {
      const ops = layers.map((l) => rng.int(l.candidates.length));
      const whole = archCost(archFromChoice(space, { ops }));
      const sum = choiceCosts(c, ops);
      expect(sum.params).toBe(whole.params);
      expect(sum.flops).toBe(whole.flops);
    }
  });

  /** Every choice of a small random instance, enumerated: the reference the DP must match. */
  function bruteForce(thetas: number[][], c: LayerCosts, limits: V1Constraints): { ops: number[]; p: number } | null {
    let best: { ops: number[]; p: number } | null = null;
    const probs = thetas.map((t) => thetaProbs(t));
    const visit = (l: number, ops: number[]) => {
      if (l === thetas.length) {
        if (!meetsConstraints(c, limits, ops)) return;
        const p = ops.reduce((s, o, j) => s * probs[j][o], 1);
        if (!best || p > best.p) best = { ops: [...ops], p };
        return;
      }
      for (let o = 0; o < thetas[l].length; o++) visit(l + 1, [...ops, o]);
    };
    visit(0, []);
    return best;
  }

  it('a latency limit met exactly by a float sum (0.1 + 0.2 ms vs 0.3 ms) is met for both the derivation and the check', () => {
    // 0.1 + 0.2 = 0.30000000000000004 in doubles: without one shared slack, the DP could admit what the check refuses.
    const c: LayerCosts = { base: { params: 0, flops: 0, latencyMs: 0 }, perOp: { params: [[0, 0], [0, 0]], flops: [[0, 0], [0, 0]], latencyMs: [[0.1, 0.5], [0.2, 0.6]] } };
    expect(0.1 + 0.2).toBeGreaterThan(0.3);
    expect(meetsConstraints(c, { maxLatencyMs: 0.3 }, [0, 0])).toBe(true);
    expect(meetsConstraints(c, { maxLatencyMs: 0.3 }, [1, 0])).toBe(false);
    const got = mostProbableUnder([[0, 5], [0, 5]], c, { maxLatencyMs: 0.3 });
    expect(got.ops).toEqual([0, 0]);
    expect(meetsConstraints(c, { maxLatencyMs: 0.3 }, got.ops)).toBe(true);
  });

  it('matches exhaustive enumeration on random instances, with one, two and three limited costs', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 40; trial++) {
      const L = 4 + rng.int(2), K = 3 + rng.int(3);
      const thetas = Array.from({ length: L }, () => Array.from({ length: K }, () => rng.normal() * 1.5));
      const mat = (scale: number) => Array.from({ length: L }, () => Array.from({ length: K }, () => Math.round(rng.next() * scale)));
      const c: LayerCosts = { base: { params: 100, flops: 1000, latencyMs: 0.05 }, perOp: { params: mat(50), flops: mat(400), latencyMs: mat(10).map((r) => r.map((x) => x / 100)) } };
      const all = (k: 'params' | 'flops' | 'latencyMs') => {
        const lo = c.base[k] + c.perOp[k].reduce((s, r) => s + Math.min(...r), 0);
        const hi = c.base[k] + c.perOp[k].reduce((s, r) => s + Math.max(...r), 0);
        return lo + (hi - lo) * (0.2 + 0.6 * rng.next());
      };
      const limits: V1Constraints[] = [{ maxParams: all('params') }, { maxParams: all('params'), maxFlops: all('flops') }, { maxParams: all('params'), maxFlops: all('flops'), maxLatencyMs: all('latencyMs') }];
      for (const lim of limits) {
        const want = bruteForce(thetas, c, lim);
        if (!want) {
          expect(() => mostProbableUnder(thetas, c, lim)).toThrow(/no architecture|meets/);
          continue;
        }
        const got = mostProbableUnder(thetas, c, lim);
        expect(got.exact).toBe(true);
        expect(meetsConstraints(c, lim, got.ops)).toBe(true);
        expect(got.probability).toBeCloseTo(want.p, 12);
      }
    }
  });

  it('without limits it is argmax θ; a limit below the cheapest arch is an error naming it and the minimum', () => {
    const space = getSearchSpacePreset('fbnet-v1-fmnist');
    const c = layerCosts(space);
    const rng = new Rng(5);
    const thetas = searchLayers(space).map((l) => l.candidates.map(() => rng.normal()));
    expect(mostProbableUnder(thetas, c, {}).ops).toEqual(argmaxTheta(thetas).ops);
    const cheapest = c.base.params + c.perOp.params.reduce((s, r) => s + Math.min(...r), 0);
    expect(() => mostProbableUnder(thetas, c, { maxParams: cheapest - 1 })).toThrow(new RegExp(`maxParams ${cheapest - 1}: the cheapest has params ${cheapest}`));
    // At exactly the cheapest, the only feasible archs are the cheapest ones.
    const r = mostProbableUnder(thetas, c, { maxParams: cheapest });
    expect(choiceCosts(c, r.ops).params).toBe(cheapest);
  });

  it('a params limit below argmax θ gives a different, feasible arch that is at most as probable', () => {
    const space = getSearchSpacePreset('fbnet-v1-fmnist');
    const c = layerCosts(space);
    // θ that favours the largest op in every layer.
    const thetas = c.perOp.params.map((row) => row.map((p) => p / Math.max(1, ...row)));
    const free = argmaxTheta(thetas);
    const freeParams = choiceCosts(c, free.ops).params;
    const r = mostProbableUnder(thetas, c, { maxParams: Math.floor(freeParams * 0.7) });
    expect(choiceCosts(c, r.ops).params).toBeLessThanOrEqual(Math.floor(freeParams * 0.7));
    expect(archCost(archFromChoice(space, { ops: r.ops })).params).toBeLessThanOrEqual(Math.floor(freeParams * 0.7));
    expect(r.probability).toBeLessThan(free.probability);
  });
});

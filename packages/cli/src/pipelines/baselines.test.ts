import { describe, expect, it } from 'vitest';
import { baselineArchs, bestAtOrBelow, compareToBaselines, frontInterpolated, paretoFront, type BaselinesFile } from './baselines.ts';

const n = (name: string, latencyMs: number, testAccuracy: number) => ({ name, latencyMs, testAccuracy });
const nets = [n('a', 0.1, 0.8), n('b', 0.2, 0.85), n('c', 0.25, 0.84), n('d', 0.4, 0.9), n('e', 0.4, 0.9), n('f', 0.5, 0.88)];

describe('baselines', () => {
  it('Pareto front: nets nothing beats in both latency and accuracy, ties kept, fastest first', () => {
    expect(paretoFront(nets).map((x) => x.name)).toEqual(['a', 'b', 'd', 'e']);
    expect(paretoFront([n('x', NaN, 0.9), n('y', 0.1, 0.5)]).map((x) => x.name)).toEqual(['y']);
  });
  it('best at or below a latency is the front as a step function', () => {
    expect(bestAtOrBelow(nets, 0.05)).toBeUndefined();
    expect(bestAtOrBelow(nets, 0.1)?.name).toBe('a');
    expect(bestAtOrBelow(nets, 0.3)?.name).toBe('b');
    expect(bestAtOrBelow(nets, 9)?.testAccuracy).toBe(0.9);
  });
  it('the interpolated front is linear between front nets (0.15 ms halfway a–b: 0.825)', () => {
    expect(frontInterpolated(nets, 0.15)).toBeCloseTo(0.825, 12);
    expect(frontInterpolated(nets, 0.3)).toBeCloseTo(0.85 + (0.05 * 0.1) / 0.2, 12);
    expect(frontInterpolated(nets, 0.05)).toBeNull();
    expect(frontInterpolated(nets, 2)).toBe(0.9);
  });
  it('a search result is compared with the best baseline at or below its latency', () => {
    const file = { version: 1, kind: 'fbnet-v1-baselines', preset: 'quick', space: 'fbnet-v1-fmnist', seed: 0, backend: 'wasm', random: 0, nets, front: [] } as unknown as BaselinesFile;
    const c = compareToBaselines(file, { testAccuracy: 0.86, latencyMs: 0.3 });
    expect(c.name).toBe('b');
    expect(c.marginPts).toBeCloseTo(1, 10);
    expect(c.marginToInterpolatedFrontPts).toBeCloseTo(-1.5, 10);
    expect(compareToBaselines(file, { testAccuracy: 0.7, latencyMs: 0.01 }).marginPts).toBeNull();
  });
  it('the harness trains every uniform net of the space and N distinct seeded random archs', () => {
    const a = baselineArchs('fbnet-v1-fmnist', 5, 3);
    expect(a.filter((x) => x.kind === 'uniform').map((x) => x.name)).toHaveLength(9);
    expect(a.filter((x) => x.kind === 'random')).toHaveLength(5);
    expect(new Set(a.map((x) => x.ops.join())).size).toBe(14);
    expect(baselineArchs('fbnet-v1-fmnist', 5, 3)).toEqual(a);
    expect(baselineArchs('fbnet-v1-fmnist', 5, 4)).not.toEqual(a);
  });
});

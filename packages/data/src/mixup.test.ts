import { Rng } from '@fbnet/core';
import { describe, expect, it } from 'vitest';
import { sampleBeta } from './beta.ts';
import { mixup } from './mixup.ts';
import { expectFbnetError } from './test-helpers.ts';

// Three samples of two values; label = sample index, so yB reveals the partner.
const X = Float32Array.from([0, 0, 10, 20, 100, 200]);
const Y = Int32Array.from([0, 1, 2]);

describe('mixup', () => {
  it('mixes each sample with its partner by λ and returns both label arrays', () => {
    const r = mixup(X, Y, { alpha: 0.4, rng: new Rng(3) });
    expect(r.lambda).toBeGreaterThanOrEqual(0);
    expect(r.lambda).toBeLessThanOrEqual(1);
    expect([...r.yA]).toEqual([0, 1, 2]);
    expect([...r.perm].sort()).toEqual([0, 1, 2]);
    expect([...r.yB]).toEqual([...r.perm]);
    for (let i = 0; i < 3; i++) {
      const j = r.yB[i];
      for (let k = 0; k < 2; k++) expect(r.x[i * 2 + k]).toBeCloseTo(r.lambda * X[i * 2 + k] + (1 - r.lambda) * X[j * 2 + k], 4);
    }
  });

  it('hand-checked: λ drawn first from Beta(α, α), then the permutation', () => {
    const seed = 11;
    const rng = new Rng(seed);
    const lambda = sampleBeta(rng, 1, 1);
    const perm = rng.permutation(3);
    const r = mixup(X, Y, { alpha: 1, rng: new Rng(seed) });
    expect(r.lambda).toBe(lambda);
    expect([...r.perm]).toEqual([...perm]);
    // sample 1 = [10, 20] mixed with sample perm[1]
    const p = perm[1];
    expect(r.x[2]).toBeCloseTo(lambda * 10 + (1 - lambda) * X[2 * p], 4);
    expect(r.x[3]).toBeCloseTo(lambda * 20 + (1 - lambda) * X[2 * p + 1], 4);
  });

  it('same seed, same result; input untouched', () => {
    const x = X.slice();
    const a = mixup(x, Y, { alpha: 0.2, rng: new Rng(5) });
    const b = mixup(x, Y, { alpha: 0.2, rng: new Rng(5) });
    expect(b).toEqual(a);
    expect(x).toEqual(X);
  });

  it('partners are drawn from the whole batch', () => {
    const n = 8;
    const seen = new Set<number>();
    for (let s = 0; s < 50; s++) {
      const r = mixup(new Float32Array(n), Int32Array.from({ length: n }, (_, i) => i), { alpha: 1, rng: new Rng(s) });
      seen.add(r.yB[0]);
    }
    expect(seen.size).toBe(n);
  });

  it('refuses alpha ≤ 0 and x that does not split into rows', () => {
    expectFbnetError(() => mixup(X, Y, { alpha: 0, rng: new Rng(0) }), 'USAGE', 'alpha');
    expectFbnetError(() => mixup(X.subarray(0, 5), Y, { alpha: 1, rng: new Rng(0) }), 'USAGE', 'whole number');
  });
});

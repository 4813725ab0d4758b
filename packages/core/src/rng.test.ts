import { describe, expect, it } from 'vitest';
import { Rng } from './rng.ts';

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = Array.from({ length: 5 }, () => a.nextU32());
    const xb = Array.from({ length: 5 }, () => b.nextU32());
    const xc = Array.from({ length: 5 }, () => c.nextU32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });
  it('resumes from a saved state exactly', () => {
    const a = new Rng(7);
    for (let i = 0; i < 100; i++) a.next();
    const s = a.state();
    const rest = Array.from({ length: 10 }, () => a.next());
    const b = Rng.fromState(JSON.parse(JSON.stringify(s)));
    expect(Array.from({ length: 10 }, () => b.next())).toEqual(rest);
  });
  it('uniform values lie in [0,1) with mean ~ 1/2', () => {
    const r = new Rng(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 2);
  });
  it('Gumbel(0,1) noise has mean = Euler-Mascheroni constant and variance pi^2/6', () => {
    const r = new Rng(3);
    const n = 200000;
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      const g = r.gumbel();
      s += g;
      s2 += g * g;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    expect(Math.abs(mean - 0.5772156649)).toBeLessThan(0.01);
    expect(Math.abs(variance - Math.PI ** 2 / 6)).toBeLessThan(0.03);
  });
  it('categorical follows the weights', () => {
    const r = new Rng(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[r.categorical([1, 2, 7])]++;
    expect(counts[0] / 30000).toBeCloseTo(0.1, 1);
    expect(counts[2] / 30000).toBeCloseTo(0.7, 1);
  });
  it('fork gives independent reproducible streams without advancing the parent', () => {
    const p = new Rng(9);
    const before = p.state();
    const f1 = p.fork('data').next();
    const f2 = p.fork('data').next();
    const g = p.fork('gumbel').next();
    expect(p.state()).toEqual(before);
    expect(f1).toBe(f2);
    expect(g).not.toBe(f1);
  });
  it('permutation contains every index once', () => {
    const p = Array.from(new Rng(11).permutation(100)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

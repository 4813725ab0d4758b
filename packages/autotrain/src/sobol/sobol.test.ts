import { describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { centeredL2Discrepancy, l2StarDiscrepancy } from './discrepancy.ts';
import { Sobol, sobolPoints, SOBOL_MAX_DIMENSIONS } from './sobol.ts';
import fixtures from './sobol.fixtures.json' with { type: 'json' };

describe('Sobol sequence (Joe–Kuo direction numbers)', () => {
  it('matches SciPy qmc.Sobol(scramble=False): first 16 points in 8 dimensions', () => {
    expect(sobolPoints(16, 8)).toEqual(fixtures.first16_dim8);
  });

  it('matches SciPy deep into the sequence in 30 dimensions, also after skipTo', () => {
    const all = sobolPoints(1024, 30);
    for (const [i, row] of Object.entries(fixtures.points_1024_dim30_rows)) {
      expect(all[Number(i)], `point ${i}`).toEqual(row);
      expect(new Sobol(30, { index: Number(i) }).next(), `skipTo ${i}`).toEqual(row);
    }
  });

  it('the first 2^m points stratify every coordinate into 2^m equal cells (a (0,m,1)-net per dimension)', () => {
    const pts = sobolPoints(64, 20);
    for (let j = 0; j < 20; j++) {
      const cells = new Set(pts.map((p) => Math.floor(p[j] * 64)));
      expect(cells.size, `dimension ${j}`).toBe(64);
    }
  });

  it('is deterministic; a digital shift gives another sequence, the same for the same seed', () => {
    expect(sobolPoints(50, 5)).toEqual(sobolPoints(50, 5));
    const a = sobolPoints(50, 5, { shiftSeed: 3 });
    expect(a).toEqual(sobolPoints(50, 5, { shiftSeed: 3 }));
    expect(a).not.toEqual(sobolPoints(50, 5));
    expect(a).not.toEqual(sobolPoints(50, 5, { shiftSeed: 4 }));
    for (const p of a) for (const x of p) expect(x >= 0 && x < 1).toBe(true);
  });

  it('resumes from an index', () => {
    const s = new Sobol(7);
    s.take(37);
    expect(s.index).toBe(37);
    expect(new Sobol(7, { index: 37 }).take(5)).toEqual(s.take(5));
  });

  it('refuses dimensions it has no direction numbers for', () => {
    expect(() => new Sobol(0)).toThrow(/dimensions/);
    expect(() => new Sobol(SOBOL_MAX_DIMENSIONS + 1)).toThrow(/dimensions/);
  });
});

describe('discrepancy', () => {
  it('centered L2 and L2-star agree with SciPy on a fixed point set', () => {
    const f = fixtures.cd_random_20x3;
    expect(centeredL2Discrepancy(f.points)).toBeCloseTo(f.cd, 12);
    expect(l2StarDiscrepancy(f.points)).toBeCloseTo(f.l2star, 12);
  });

  it('Sobol points are more uniform than random points of the same size', () => {
    for (const [n, d] of [[64, 4], [128, 10], [256, 27]] as const) {
      const sobol = centeredL2Discrepancy(sobolPoints(n, d, { shiftSeed: 1 }));
      const star = l2StarDiscrepancy(sobolPoints(n, d, { shiftSeed: 1 }));
      const rnd: number[] = [], rndStar: number[] = [];
      for (let seed = 0; seed < 5; seed++) {
        const rng = new Rng(seed);
        const pts = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next()));
        rnd.push(centeredL2Discrepancy(pts));
        rndStar.push(l2StarDiscrepancy(pts));
      }
      expect(sobol, `CD n=${n} d=${d}`).toBeLessThan(Math.min(...rnd));
      if (d <= 10) expect(star, `L2* n=${n} d=${d}`).toBeLessThan(Math.min(...rndStar));
    }
  });
});

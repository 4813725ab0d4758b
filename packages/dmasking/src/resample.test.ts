import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { intersperse, intersperseCoverage, nearestPositions, subsample } from './resample.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const grid = (n: number, base = 1) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => base + i * n + j));
const asMap = (rows: number[][]) => tf.tensor4d(rows.flat(), [1, rows.length, rows[0].length, 1]);
const toRows = (t: tf.Tensor4D) => {
  const [, h, w] = t.shape;
  const d = Array.from(t.dataSync());
  return Array.from({ length: h }, (_, i) => d.slice(i * w, (i + 1) * w));
};

describe('nearest-neighbour positions (corners aligned)', () => {
  it('hand-computed grids', () => {
    expect(nearestPositions(4, 2)).toEqual([0, 3]);
    expect(nearestPositions(8, 4)).toEqual([0, 2, 5, 7]); // round(i * 7/3)
    expect(nearestPositions(8, 2)).toEqual([0, 7]);
    expect(nearestPositions(28, 28)).toEqual(Array.from({ length: 28 }, (_, i) => i));
    expect(nearestPositions(5, 1)).toEqual([0]);
  });
  it('pixel alignment: for every pair of sizes the corner pixels coincide and positions strictly increase', () => {
    for (let from = 2; from <= 32; from++) {
      for (let to = 2; to <= from; to++) {
        const p = nearestPositions(from, to);
        expect(p[0]).toBe(0);
        expect(p[to - 1]).toBe(from - 1);
        for (let i = 1; i < to; i++) expect(p[i]).toBeGreaterThan(p[i - 1]);
      }
    }
  });
  it('refuses to subsample to a larger size', () => {
    expect(() => nearestPositions(4, 6)).toThrow(/larger/);
  });
});

describe('subsample and intersperse', () => {
  it('4x4 -> 2x2 and back: the corners, zeros between (hand-made)', () => {
    const x = asMap(grid(4));
    const s = subsample(x, [2, 2]);
    expect(toRows(s)).toEqual([
      [1, 4],
      [13, 16],
    ]);
    expect(toRows(intersperse(s, [4, 4]))).toEqual([
      [1, 0, 0, 4],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [13, 0, 0, 16],
    ]);
  });

  it('the article figure: 8x8 map, 4x4 and 2x2 subsampled and interspersed; only the 4 corners hold both', () => {
    const x = asMap(grid(8));
    const four = intersperse(subsample(x, [4, 4]), [8, 8]);
    const two = intersperse(subsample(x, [2, 2]), [8, 8]);
    // positions 0, 2, 5, 7 on both axes
    expect(toRows(four)).toEqual([
      [1, 0, 3, 0, 0, 6, 0, 8],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [17, 0, 19, 0, 0, 22, 0, 24],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [41, 0, 43, 0, 0, 46, 0, 48],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [57, 0, 59, 0, 0, 62, 0, 64],
    ]);
    expect(toRows(two)).toEqual([
      [1, 0, 0, 0, 0, 0, 0, 8],
      ...Array.from({ length: 6 }, () => [0, 0, 0, 0, 0, 0, 0, 0]),
      [57, 0, 0, 0, 0, 0, 0, 64],
    ]);
    const c4 = intersperseCoverage(8, 4);
    const c2 = intersperseCoverage(8, 2);
    const both: [number, number][] = [];
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) if (c4[i][j] && c2[i][j]) both.push([i, j]);
    expect(both).toEqual([
      [0, 0],
      [0, 7],
      [7, 0],
      [7, 7],
    ]);
    // the sum: each resolution's pixel sits where the same input pixel was (no misalignment, Fig. 4 C)
    const sum = toRows(tf.add(four, two) as tf.Tensor4D);
    expect(sum[0][7]).toBe(16);
    expect(sum[7][7]).toBe(128);
    expect(sum[2][5]).toBe(22);
  });

  it('the interspersed map equals the subsampled result at its positions and is zero elsewhere (28 -> 20, 24; batch 3, 2 channels)', () => {
    const rng = new Rng(1);
    const x = tf.tensor4d(Array.from({ length: 3 * 28 * 28 * 2 }, () => rng.normal()), [3, 28, 28, 2]);
    for (const r of [20, 24]) {
      const s = subsample(x, [r, r]);
      const m = intersperse(s, [28, 28]);
      const p = nearestPositions(28, r);
      const sd = s.arraySync();
      const md = m.arraySync();
      const xd = x.arraySync();
      for (let b = 0; b < 3; b++)
        for (let i = 0; i < 28; i++)
          for (let j = 0; j < 28; j++)
            for (let c = 0; c < 2; c++) {
              const pi = p.indexOf(i);
              const pj = p.indexOf(j);
              if (pi >= 0 && pj >= 0) {
                expect(md[b][i][j][c]).toBe(sd[b][pi][pj][c]);
                expect(md[b][i][j][c]).toBe(xd[b][i][j][c]);
              } else expect(md[b][i][j][c]).toBe(0);
            }
      expect(subsample(m, [r, r]).arraySync()).toEqual(sd);
    }
  });

  it('subsampling is what a stock nearest Resizing layer does (alignCorners), so an exported model can resize inside', () => {
    const rng = new Rng(2);
    const x = tf.tensor4d(Array.from({ length: 2 * 28 * 28 }, () => rng.next() * 255), [2, 28, 28, 1]);
    for (const r of [16, 20, 24, 27]) {
      const stock = tf.image.resizeNearestNeighbor(x, [r, r], true);
      expect(subsample(x, [r, r]).arraySync()).toEqual(stock.arraySync());
    }
  });

  it('gradients match central finite differences for batch > 1 (selection matmuls, not ResizeNearestNeighbor)', () => {
    const rng = new Rng(3);
    const x = tf.tensor4d(Array.from({ length: 3 * 8 * 8 * 2 }, () => rng.normal()), [3, 8, 8, 2]);
    const ws = tf.tensor4d(Array.from({ length: 3 * 5 * 5 * 2 }, () => rng.normal()), [3, 5, 5, 2]);
    const wi = tf.tensor4d(Array.from({ length: 3 * 8 * 8 * 2 }, () => rng.normal()), [3, 8, 8, 2]);
    // a non-linear head so the gradient depends on the values, not only on the selection
    const fs = (t: tf.Tensor) => tf.sum(tf.mul(tf.square(subsample(t as tf.Tensor4D, [5, 5])), ws)) as tf.Scalar;
    const fi = (t: tf.Tensor) => tf.sum(tf.mul(tf.square(intersperse(t as tf.Tensor4D, [8, 8])), wi)) as tf.Scalar;
    const y = tf.tensor4d(Array.from({ length: 3 * 5 * 5 * 2 }, () => rng.normal()), [3, 5, 5, 2]);
    for (const [f, at] of [
      [fs, x],
      [fi, y],
    ] as const) {
      const g = tf.grad(f)(at).dataSync();
      const base = at.dataSync();
      const h = 1e-2;
      let checked = 0;
      for (let i = 0; i < base.length; i += 7) {
        const plus = Float32Array.from(base);
        const minus = Float32Array.from(base);
        plus[i] += h;
        minus[i] -= h;
        const fd = (f(tf.tensor(plus, at.shape)).dataSync()[0] - f(tf.tensor(minus, at.shape)).dataSync()[0]) / (2 * h);
        expect(Math.abs(g[i] - fd)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
        checked++;
      }
      expect(checked).toBeGreaterThan(20);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { rowMajor, sgemm, transposed } from './gemm.ts';

function rand(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

describe('sgemm', () => {
  // Sizes straddle the 4x4 micro-tile, the 128-row A block and the 256-deep K block.
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 4, 4],
    [17, 9, 300],
    [130, 6, 33],
    [5, 131, 513],
  ];
  for (const [M, N, K] of sizes) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
    ]) {
      it(`matches a float64 triple loop: ${M}x${N}x${K} ta=${ta} tb=${tb}`, () => {
        const rng = new Rng(M * 1000 + N * 10 + K);
        const A = rand(rng, M * K);
        const B = rand(rng, K * N);
        const C = new Float32Array(M * N).fill(5);
        const a = ta ? transposed(A, 0, M) : rowMajor(A, 0, K);
        const b = tb ? transposed(B, 0, K) : rowMajor(B, 0, N);
        const at = (i: number, k: number) => (ta ? A[k * M + i] : A[i * K + k]);
        const bt = (k: number, j: number) => (tb ? B[j * K + k] : B[k * N + j]);
        sgemm(M, N, K, a, b, C, 0, N, false);
        let worst = 0;
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += at(i, k) * bt(k, j);
            worst = Math.max(worst, Math.abs(s - C[i * N + j]));
          }
        }
        expect(worst).toBeLessThan(1e-4 * Math.sqrt(K));
      });
    }
  }

  it('accumulates into C with an output stride and offset', () => {
    const A = Float32Array.from([1, 2, 3, 4]);
    const B = Float32Array.from([1, 0, 0, 1]);
    const C = new Float32Array(2 + 2 * 3).fill(1);
    sgemm(2, 2, 2, rowMajor(A, 0, 2), rowMajor(B, 0, 2), C, 2, 3, true);
    expect([...C]).toEqual([1, 1, 2, 3, 1, 4, 5, 1]);
  });
});

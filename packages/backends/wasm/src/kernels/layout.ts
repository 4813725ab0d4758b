import type { ConvGeometry } from '@fbnet/backend-common';

/** out[K, M] = in[M, K]ᵀ, in 32×32 tiles to stay in cache. */
export function transposeInto(src: Float32Array, M: number, K: number, out: Float32Array): void {
  const T = 32;
  for (let i0 = 0; i0 < M; i0 += T) {
    const i1 = Math.min(M, i0 + T);
    for (let k0 = 0; k0 < K; k0 += T) {
      const k1 = Math.min(K, k0 + T);
      for (let i = i0; i < i1; i++) {
        const s = i * K;
        for (let k = k0; k < k1; k++) out[k * M + i] = src[s + k];
      }
    }
  }
}

/** The transposed im2col matrix [K = kh·kw·cin, M = n·oh·ow], zero where padded. */
export function im2colTransposed(x: Float32Array, g: ConvGeometry, out: Float32Array): void {
  const { n, h, w, cin, kh, kw, sh, sw, padT, padL, oh, ow } = g;
  const M = n * oh * ow;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let c = 0; c < cin; c++) {
        const row = ((ky * kw + kx) * cin + c) * M;
        let p = 0;
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * sh - padT + ky;
            if (iy < 0 || iy >= h) {
              out.fill(0, row + p, row + p + ow);
              p += ow;
              continue;
            }
            const base = (b * h + iy) * w;
            for (let ox = 0; ox < ow; ox++, p++) {
              const ix = ox * sw - padL + kx;
              out[row + p] = ix >= 0 && ix < w ? x[(base + ix) * cin + c] : 0;
            }
          }
        }
      }
    }
  }
}

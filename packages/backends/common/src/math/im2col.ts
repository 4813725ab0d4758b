import type { ConvGeometry } from './conv-geometry.ts';

/**
 * Rows [p0, p1) of the im2col matrix (row = output pixel n·oh·ow, column = (ky, kx, ci),
 * the layout of a TF.js [kh, kw, cin, cout] filter seen as [K, cout]); zero where padded.
 */
export function im2colRows(x: Float32Array, g: ConvGeometry, p0: number, p1: number, cols: Float32Array): void {
  const { h, w, cin, kh, kw, sh, sw, padT, padL, oh, ow } = g;
  const K = kh * kw * cin;
  const ohw = oh * ow;
  let o = 0;
  for (let p = p0; p < p1; p++) {
    const b = (p / ohw) | 0;
    const r = p - b * ohw;
    const oy = (r / ow) | 0;
    const ox = r - oy * ow;
    const iy0 = oy * sh - padT;
    const ix0 = ox * sw - padL;
    const xb = b * h * w * cin;
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky;
      if (iy < 0 || iy >= h) {
        cols.fill(0, o, o + kw * cin);
        o += kw * cin;
        continue;
      }
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx;
        if (ix < 0 || ix >= w) {
          cols.fill(0, o, o + cin);
        } else {
          const src = xb + (iy * w + ix) * cin;
          if (cin === 1) cols[o] = x[src];
          else cols.set(x.subarray(src, src + cin), o);
        }
        o += cin;
      }
    }
  }
  if (o !== (p1 - p0) * K) throw new Error('im2col: internal size mismatch');
}

/** Scatter-add rows [p0, p1) of an im2col-shaped gradient back into dx (the adjoint of im2colRows). */
export function col2imRows(dcols: Float32Array, g: ConvGeometry, p0: number, p1: number, dx: Float32Array): void {
  const { h, w, cin, kh, kw, sh, sw, padT, padL, oh, ow } = g;
  const ohw = oh * ow;
  let o = 0;
  for (let p = p0; p < p1; p++) {
    const b = (p / ohw) | 0;
    const r = p - b * ohw;
    const oy = (r / ow) | 0;
    const ox = r - oy * ow;
    const iy0 = oy * sh - padT;
    const ix0 = ox * sw - padL;
    const xb = b * h * w * cin;
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky;
      if (iy < 0 || iy >= h) {
        o += kw * cin;
        continue;
      }
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx;
        if (ix >= 0 && ix < w) {
          const dst = xb + (iy * w + ix) * cin;
          for (let c = 0; c < cin; c++) dx[dst + c] += dcols[o + c];
        }
        o += cin;
      }
    }
  }
}

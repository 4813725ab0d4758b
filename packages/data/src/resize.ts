import { FbnetError } from '@fbnet/core';

/**
 * Bilinear resize of one HWC uint8 image with half-pixel centres (source x = (x + 0.5)·W/w − 0.5,
 * clamped at the border): the convention of PIL, OpenCV's INTER_LINEAR and TF's
 * `resize_bilinear(half_pixel_centers=True)`. Downscaling by large factors aliases (no
 * antialiasing filter), which is acceptable for the small inputs a CPU search uses.
 */
export function resizeBilinear(
  src: Uint8Array,
  from: { height: number; width: number },
  to: { height: number; width: number },
  channels: number,
  out = new Uint8Array(to.height * to.width * channels),
): Uint8Array {
  const { height: H, width: W } = from;
  const { height: h, width: w } = to;
  if (src.length !== H * W * channels) {
    throw new FbnetError('USAGE', `resizeBilinear: ${H}x${W}x${channels} needs ${H * W * channels} values, got ${src.length}`);
  }
  if (!(h > 0 && w > 0)) throw new FbnetError('USAGE', `resizeBilinear: target size must be positive, got ${h}x${w}`);
  if (H === h && W === w) {
    out.set(src);
    return out;
  }
  const axis = (n: number, N: number) => {
    const lo = new Int32Array(n);
    const hi = new Int32Array(n);
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = Math.min(Math.max((i + 0.5) * (N / n) - 0.5, 0), N - 1);
      lo[i] = Math.floor(s);
      hi[i] = Math.min(lo[i] + 1, N - 1);
      t[i] = s - lo[i];
    }
    return { lo, hi, t };
  };
  const ys = axis(h, H);
  const xs = axis(w, W);
  for (let y = 0; y < h; y++) {
    const r0 = ys.lo[y] * W;
    const r1 = ys.hi[y] * W;
    const ty = ys.t[y];
    for (let x = 0; x < w; x++) {
      const tx = xs.t[x];
      for (let c = 0; c < channels; c++) {
        const a = src[(r0 + xs.lo[x]) * channels + c];
        const b = src[(r0 + xs.hi[x]) * channels + c];
        const d = src[(r1 + xs.lo[x]) * channels + c];
        const e = src[(r1 + xs.hi[x]) * channels + c];
        const top = a + (b - a) * tx;
        const bottom = d + (e - d) * tx;
        out[(y * w + x) * channels + c] = Math.round(top + (bottom - top) * ty);
      }
    }
  }
  return out;
}

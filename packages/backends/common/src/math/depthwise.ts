import type { ConvGeometry } from './conv-geometry.ts';

/**
 * Depthwise convolution (channel multiplier 1), NHWC, filter [kh, kw, c, 1]. Loops keep the
 * channel index innermost so every access is contiguous; `g.cin === g.cout === c`.
 */
export function depthwiseForward(x: Float32Array, f: Float32Array, g: ConvGeometry, y: Float32Array): void {
  const { n, h, w, cin: c, kh, kw, sh, sw, padT, padL, oh, ow } = g;
  y.fill(0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const yo = ((b * oh + oy) * ow + ox) * c;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx;
            if (ix < 0 || ix >= w) continue;
            const xo = ((b * h + iy) * w + ix) * c;
            const fo = (ky * kw + kx) * c;
            for (let ch = 0; ch < c; ch++) y[yo + ch] += x[xo + ch] * f[fo + ch];
          }
        }
      }
    }
  }
}

export function depthwiseBackpropInput(dy: Float32Array, f: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const { n, h, w, cin: c, kh, kw, sh, sw, padT, padL, oh, ow } = g;
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const yo = ((b * oh + oy) * ow + ox) * c;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx;
            if (ix < 0 || ix >= w) continue;
            const xo = ((b * h + iy) * w + ix) * c;
            const fo = (ky * kw + kx) * c;
            for (let ch = 0; ch < c; ch++) dx[xo + ch] += dy[yo + ch] * f[fo + ch];
          }
        }
      }
    }
  }
}

/** df accumulates over every output pixel; float64 partial sums keep large batches exact enough. */
export function depthwiseBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry, df: Float32Array): void {
  const { n, h, w, cin: c, kh, kw, sh, sw, padT, padL, oh, ow } = g;
  const acc = new Float64Array(kh * kw * c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const yo = ((b * oh + oy) * ow + ox) * c;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx;
            if (ix < 0 || ix >= w) continue;
            const xo = ((b * h + iy) * w + ix) * c;
            const fo = (ky * kw + kx) * c;
            for (let ch = 0; ch < c; ch++) acc[fo + ch] += x[xo + ch] * dy[yo + ch];
          }
        }
      }
    }
  }
  for (let i = 0; i < acc.length; i++) df[i] = acc[i];
}

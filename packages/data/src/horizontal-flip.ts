import { FbnetError, type Rng } from '@fbnet/core';
import { checkNhwc, type NhwcShape } from './nhwc.ts';

/**
 * Mirror each image left-right with probability `p` (default 0.5); one draw per sample.
 * Returns a new array.
 */
export function randomHorizontalFlip(x: Float32Array, shape: NhwcShape, options: { rng: Rng; p?: number }): Float32Array {
  checkNhwc('randomHorizontalFlip', x, shape);
  const { rng, p = 0.5 } = options;
  if (!(p >= 0 && p <= 1)) throw new FbnetError('USAGE', `randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  const { n, height: h, width: w, channels: c } = shape;
  const out = new Float32Array(x);
  const img = h * w * c;
  for (let i = 0; i < n; i++) {
    if (!(rng.next() < p)) continue;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const o = i * img + (y * w + xx) * c;
        const s = i * img + (y * w + (w - 1 - xx)) * c;
        for (let k = 0; k < c; k++) out[o + k] = x[s + k];
      }
    }
  }
  return out;
}

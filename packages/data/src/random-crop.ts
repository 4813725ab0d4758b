import { FbnetError, type Rng } from '@fbnet/core';
import { checkNhwc, type NhwcShape } from './nhwc.ts';

export interface RandomCropOptions {
  /** Pixels of padding on each side; the crop offset is uniform in 0..2·padding per axis. */
  padding: number;
  rng: Rng;
  /**
   * Value of the padded border. torchvision pads the *raw* image with 0, so on a
   * standardized batch pass (0 − mean) / std to match it; 0 is right for raw and unit batches.
   */
  fill?: number;
}

/**
 * Pad-and-crop augmentation (the CIFAR/Fashion-MNIST recipe): pad each image by `padding`,
 * take a crop of the original size at a random offset. Returns a new array; per sample the
 * stream draws the row offset, then the column offset.
 */
export function randomCrop(x: Float32Array, shape: NhwcShape, options: RandomCropOptions): Float32Array {
  checkNhwc('randomCrop', x, shape);
  const { padding: p, rng, fill = 0 } = options;
  if (!Number.isInteger(p) || p < 0) throw new FbnetError('USAGE', `randomCrop: padding must be a non-negative integer, got ${p}`);
  const { n, height: h, width: w, channels: c } = shape;
  const out = new Float32Array(x.length);
  const img = h * w * c;
  for (let i = 0; i < n; i++) {
    const dy = rng.int(2 * p + 1) - p;
    const dx = rng.int(2 * p + 1) - p;
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      for (let xx = 0; xx < w; xx++) {
        const sx = xx + dx;
        const o = i * img + (y * w + xx) * c;
        const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
        const s = i * img + (sy * w + sx) * c;
        for (let k = 0; k < c; k++) out[o + k] = inside ? x[s + k] : fill;
      }
    }
  }
  return out;
}

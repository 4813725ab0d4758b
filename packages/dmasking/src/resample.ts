import * as tf from '@tensorflow/tfjs-core';
import { FbnetError } from '@fbnet/core';

/**
 * Nearest-neighbour positions of a `to`-sized grid inside a `from`-sized one, with the corners
 * aligned (FBNetV2 Fig. 4 C: the corner pixels of every resolution coincide). Same arithmetic as
 * TF.js `resizeNearestNeighbor(alignCorners = true)` (`round(i · (from-1)/(to-1))`), so a stock
 * `Resizing({interpolation: 'nearest'})` layer subsamples exactly as the supernet did.
 * Strictly increasing when `to <= from`, so interspersing is well defined.
 */
export function nearestPositions(from: number, to: number): number[] {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 1 && to >= 1)) {
    throw new FbnetError('USAGE', `nearestPositions: sizes must be positive integers, got ${from} -> ${to}`);
  }
  if (to > from) throw new FbnetError('USAGE', `nearestPositions: cannot subsample ${from} to a larger ${to}`);
  const ratio = to > 1 ? (from - 1) / (to - 1) : from;
  return Array.from({ length: to }, (_, i) => Math.min(from - 1, to > 1 ? Math.round(ratio * i) : Math.floor(ratio * i)));
}

/**
 * Subsample an NHWC map to `size` by nearest neighbour (corners aligned): the input a smaller
 * resolution's branch convolves, so its receptive field is kept (Fig. 4 E). Built from GatherV2,
 * whose gradient (a segment sum) is right for any batch size — unlike the CPU
 * ResizeNearestNeighbor gradient, and StridedSlice, which has none.
 */
export function subsample(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h === size[0] && w === size[1]) return x.clone();
  return tf.tidy(() => {
    const rows = tf.tensor1d(nearestPositions(h, size[0]), 'int32');
    const cols = tf.tensor1d(nearestPositions(w, size[1]), 'int32');
    return tf.gather(tf.gather(x, rows, 1), cols, 2) as tf.Tensor4D;
  });
}

/**
 * Index map of interspersing `to` into `from`: full-grid position p takes small index i where
 * p = nearestPositions(from, to)[i], and the extra index `to` (a zero row/column) elsewhere.
 */
function intersperseIndex(from: number, to: number): number[] {
  const idx = new Array<number>(from).fill(to);
  nearestPositions(from, to).forEach((p, i) => (idx[p] = i));
  return idx;
}

/**
 * Bring a smaller map back to the full grid with spatially interspersed zero padding
 * (Fig. 4 C): value (i, j) lands on the nearest-neighbour position of the full grid, every other
 * position is zero — not border padding, which would misalign pixels (Fig. 4 B). The left
 * inverse of `subsample`: `subsample(intersperse(y, H), h) = y`. Zero-pad + GatherV2, so the
 * gradient is exact.
 */
export function intersperse(y: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [, h, w] = y.shape;
  if (h === size[0] && w === size[1]) return y.clone();
  return tf.tidy(() => {
    const padded = tf.pad(y, [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ]);
    const rows = tf.tensor1d(intersperseIndex(size[0], h), 'int32');
    const cols = tf.tensor1d(intersperseIndex(size[1], w), 'int32');
    return tf.gather(tf.gather(padded, rows, 1), cols, 2) as tf.Tensor4D;
  });
}

/** 0/1 map of the positions a `to` grid occupies in the `from` grid (for tests and figures). */
export function intersperseCoverage(from: number, to: number): number[][] {
  const p = new Set(nearestPositions(from, to));
  return Array.from({ length: from }, (_, i) => Array.from({ length: from }, (_, j) => (p.has(i) && p.has(j) ? 1 : 0)));
}

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

/** The [from, to] 0/1 matrix that picks `nearestPositions(from, to)`: column i has its one at row p_i. */
export function selectionMatrix(from: number, to: number): Float32Array {
  const m = new Float32Array(from * to);
  nearestPositions(from, to).forEach((p, i) => (m[p * to + i] = 1));
  return m;
}

/**
 * Apply a [H, h] matrix along the rows and a [W, w] matrix along the columns of an NHWC map:
 * y[n, i, j, c] = Σ_{p,q} A[p, i] B[q, j] x[n, p, q, c]. Plain MatMul and Transpose, whose
 * gradients are exact on every backend (GatherV2's needs UnsortedSegmentSum, which the WASM
 * backend lacks; the CPU ResizeNearestNeighbor gradient is wrong for batch > 1; StridedSlice
 * has none). With 0/1 selection matrices every output is one input times 1 plus zeros: exact.
 */
function separable(x: tf.Tensor4D, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [, h2] = a.shape;
  const [, w2] = b.shape;
  const rows = tf.reshape(tf.matMul(tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [-1, h]), a), [n, w, c, h2]); // [N, W, C, h]
  const cols = tf.reshape(tf.matMul(tf.reshape(tf.transpose(rows, [0, 3, 2, 1]), [-1, w]), b), [n, h2, c, w2]); // [N, h, C, w]
  return tf.transpose(cols, [0, 1, 3, 2]) as tf.Tensor4D;
}

/**
 * Subsample an NHWC map to `size` by nearest neighbour (corners aligned): the input a smaller
 * resolution's branch convolves, so its receptive field is kept (Fig. 4 E). A 0/1 selection
 * matmul per axis, so the gradient is right for any batch size on any backend.
 */
export function subsample(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h === size[0] && w === size[1]) return x.clone();
  return tf.tidy(() => separable(x, tf.tensor2d(selectionMatrix(h, size[0]), [h, size[0]]), tf.tensor2d(selectionMatrix(w, size[1]), [w, size[1]])));
}

/**
 * Bring a smaller map back to the full grid with spatially interspersed zero padding
 * (Fig. 4 C): value (i, j) lands on the nearest-neighbour position of the full grid, every other
 * position is zero — not border padding, which would misalign pixels (Fig. 4 B). The transpose
 * of subsampling, so `subsample(intersperse(y, H), h) = y`; exact gradient on every backend.
 */
export function intersperse(y: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [, h, w] = y.shape;
  if (h === size[0] && w === size[1]) return y.clone();
  return tf.tidy(() =>
    separable(y, tf.transpose(tf.tensor2d(selectionMatrix(size[0], h), [size[0], h])), tf.transpose(tf.tensor2d(selectionMatrix(size[1], w), [size[1], w]))),
  );
}

/** 0/1 map of the positions a `to` grid occupies in the `from` grid (for tests and figures). */
export function intersperseCoverage(from: number, to: number): number[][] {
  const p = new Set(nearestPositions(from, to));
  return Array.from({ length: from }, (_, i) => Array.from({ length: from }, (_, j) => (p.has(i) && p.has(j) ? 1 : 0)));
}

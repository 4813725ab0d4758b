/** A feature-map shape as TF.js lays it out: [height, width, channels] (batch omitted). */
export type Shape3 = [number, number, number];

/**
 * Output size of a convolution along one axis with explicit symmetric padding, PyTorch
 * semantics (not TF's asymmetric "same"): floor((in + 2p - k) / s) + 1. May be < 1; callers
 * decide how to report a collapsed feature map.
 */
export function convOutputSize(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** Normalise an input size given as a number (square) or [height, width]. */
export function inputHW(size: number | [number, number]): [number, number] {
  return Array.isArray(size) ? [size[0], size[1]] : [size, size];
}

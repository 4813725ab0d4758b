import { FbnetError } from '@fbnet/core';

/**
 * How raw 0..255 pixels become model inputs.
 * - `raw`: the pixel values as floats, for models that carry their own normalisation layer
 *   (the exported TF.js model does, so it can be fed raw images).
 * - `unit`: x / 255.
 * - `standardize`: (x / 255 − mean) / std, mean and std in the [0, 1] pixel scale
 *   (the torchvision `Normalize` convention).
 */
export type Normalization =
  | { kind: 'raw' }
  | { kind: 'unit' }
  | { kind: 'standardize'; mean: number; std: number };

export interface MeanStd {
  mean: number;
  std: number;
}

/**
 * Mean and population std of all pixels of the full Fashion-MNIST training set
 * (60000 images, [0, 1] scale), computed by `computeMeanStd`; the full-set test re-derives them.
 */
export const FASHION_MNIST_MEAN = 0.28604059698879547;
export const FASHION_MNIST_STD = 0.35302424451492254;
export const FASHION_MNIST_NORMALIZATION: Normalization = Object.freeze({
  kind: 'standardize',
  mean: FASHION_MNIST_MEAN,
  std: FASHION_MNIST_STD,
});

/**
 * Mean and population std (divide by N) of `pixels` in the [0, 1] scale. Goes through a
 * 256-bin histogram, so the sums are exact in float64 whatever the data set's size.
 */
export function computeMeanStd(pixels: Uint8Array): MeanStd {
  if (pixels.length === 0) throw new FbnetError('USAGE', 'computeMeanStd: no pixels');
  const hist = new Float64Array(256);
  for (let i = 0; i < pixels.length; i++) hist[pixels[i]]++;
  const n = pixels.length;
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += (v / 255) * hist[v];
  const mean = sum / n;
  let sq = 0;
  for (let v = 0; v < 256; v++) sq += (v / 255 - mean) ** 2 * hist[v];
  return { mean, std: Math.sqrt(sq / n) };
}

function checkNormalization(norm: Normalization): void {
  if (norm.kind === 'standardize' && !(Number.isFinite(norm.mean) && norm.std > 0 && Number.isFinite(norm.std))) {
    throw new FbnetError('USAGE', `normalization: standardize needs a finite mean and a positive std, got mean ${norm.mean}, std ${norm.std}`);
  }
  if (norm.kind !== 'raw' && norm.kind !== 'unit' && norm.kind !== 'standardize') {
    throw new FbnetError('USAGE', `normalization: unknown kind "${String((norm as { kind: unknown }).kind)}"`);
  }
}

/** The float value of each of the 256 pixel values under `norm` (a pixel only has 256 values). */
export function pixelTable(norm: Normalization): Float32Array {
  checkNormalization(norm);
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    t[v] = norm.kind === 'raw' ? v : norm.kind === 'unit' ? v / 255 : (v / 255 - norm.mean) / norm.std;
  }
  return t;
}

/** Convert raw pixels to floats under `norm`, into `out` when given. */
export function normalizePixels(pixels: Uint8Array, norm: Normalization, out = new Float32Array(pixels.length)): Float32Array {
  if (out.length !== pixels.length) throw new FbnetError('USAGE', `normalizePixels: out has ${out.length} element(s), pixels ${pixels.length}`);
  const t = pixelTable(norm);
  for (let i = 0; i < pixels.length; i++) out[i] = t[pixels[i]];
  return out;
}

/**
 * Per-channel mean and population std ([0, 1] scale) of NHWC pixels with `channels` channels, one
 * 256-bin histogram per channel as in `computeMeanStd`. Computed on the training split only, so the
 * exported model's normalisation layer sees no test data.
 */
export function computeChannelMeanStd(pixels: Uint8Array, channels: number): { mean: number[]; std: number[] } {
  if (!(Number.isInteger(channels) && channels > 0) || pixels.length % channels !== 0) {
    throw new FbnetError('USAGE', `computeChannelMeanStd: ${pixels.length} pixel value(s) do not split into ${channels} channel(s)`);
  }
  if (pixels.length === 0) throw new FbnetError('USAGE', 'computeChannelMeanStd: no pixels');
  const mean: number[] = [];
  const std: number[] = [];
  const plane = new Uint8Array(pixels.length / channels);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane.length; i++) plane[i] = pixels[i * channels + c];
    const m = computeMeanStd(plane);
    mean.push(m.mean);
    // A constant channel (all-black border data) would divide by 0 in the model's input layer.
    std.push(m.std > 0 ? m.std : 1);
  }
  return { mean, std };
}

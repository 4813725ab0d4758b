import { FbnetError } from '@fbnet/core';

/**
 * An image classification data set as plain typed arrays, so it runs anywhere (no TF.js):
 * `images` is N×H×W×C row-major (NHWC, the TF.js layout) raw 0..255 pixels, `labels` is N
 * class indices in 0..numClasses-1.
 */
export interface ImageDataset {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classNames: readonly string[];
}

export function numClasses(ds: ImageDataset): number {
  return ds.classNames.length;
}

export function imageSize(ds: ImageDataset): number {
  return ds.height * ds.width * ds.channels;
}

/** A new data set holding the samples at `indices`, in that order (pixels are copied). */
export function takeSamples(ds: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const size = imageSize(ds);
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= ds.count) {
      throw new FbnetError('USAGE', `takeSamples: index ${j} at position ${i} is outside 0..${ds.count - 1}`);
    }
    images.set(ds.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = ds.labels[j];
  }
  return { ...ds, images, labels, count: indices.length };
}

/** How many samples of each class `labels` holds. */
export function classCounts(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < numClasses)) throw new FbnetError('USAGE', `classCounts: label ${c} at index ${i} is outside 0..${numClasses - 1}`);
    counts[c]++;
  }
  return counts;
}

/** Indices of each class, ascending: `byClass[c]` lists the samples labelled c. */
export function indicesByClass(labels: ArrayLike<number>, numClasses: number): Int32Array[] {
  const counts = classCounts(labels, numClasses);
  const out = counts.map((n) => new Int32Array(n));
  const fill = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) out[labels[i]][fill[labels[i]]++] = i;
  return out;
}

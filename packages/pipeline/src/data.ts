import { FbnetError } from '@fbnet/core';
import {
  classCounts,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  loadDataset,
  loadFashionMnist,
  numClasses,
  selectClassBalanced,
  splitTrainVal,
  takeSamples,
  type DataFormat,
  type ImageDataset,
  type LoadedDataset,
  type StageData,
} from '@fbnet/data';

/** Where a pipeline's data comes from: the bundled (or full, `dataDir`) Fashion-MNIST, or the user's data set. */
export type DataSpec = { source: 'fashion-mnist'; dataDir?: string } | { source: 'path'; path: string; format?: DataFormat; size?: number };

/** How much of the data a preset uses. */
export interface DataLimits {
  /** Fraction of the training set held out for validation. */
  valFraction: number;
  maxTrainImages?: number;
  maxTestImages?: number;
}

/** At most `n` images, class-balanced and seeded (the whole set when n is undefined or larger). */
export function limitImages(ds: ImageDataset, n: number | undefined, seed: number): ImageDataset {
  if (n === undefined || n >= ds.count) return ds;
  const k = numClasses(ds);
  // Uneven user data: no class gives more than the smallest has (a split missing a class is kept whole).
  const counts = classCounts(ds.labels, k);
  if (counts.some((c) => c === 0)) return ds;
  return takeSamples(ds, selectClassBalanced(ds.labels, k, Math.min(Math.min(...counts), Math.floor(n / k)), seed));
}

/** Fashion-MNIST with a preset's limits: train less a held-out validation part, and test. */
export function loadFashionMnistData(limits: DataLimits, dataDir: string | undefined, seed: number): StageData {
  const full = limitImages(loadFashionMnist({ split: 'train', dataDir }), limits.maxTrainImages, seed);
  const test = limitImages(loadFashionMnist({ split: 'test', dataDir }), limits.maxTestImages, seed);
  const { train, val } = splitTrainVal(full, { valFraction: limits.valFraction, seed });
  return { train, val, test, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] }, source: dataDir ? `fashion-mnist (${dataDir})` : 'fashion-mnist' };
}

/**
 * The user's data set at its own image size (or `size`), with a preset's validation fraction and
 * image limits, and per-channel statistics of the training split. `loaded` keeps what the loader
 * found (format, shape, classes, cache) for the space and the log.
 */
export function loadUserStageData(
  spec: { path: string; format?: DataFormat; size?: number },
  limits: DataLimits,
  seed: number,
  onProgress?: (done: number, total: number) => void,
): StageData & { loaded: LoadedDataset } {
  const data = loadDataset(spec.path, { format: spec.format ?? 'auto', size: spec.size, seed, valFraction: limits.valFraction, onProgress });
  const train = limitImages(data.train, limits.maxTrainImages, seed);
  const test = limitImages(data.test, limits.maxTestImages, seed);
  return { train, val: data.val, test, normalization: data.normalization, source: spec.path, loaded: data };
}

/** A pipeline's data set. */
export function loadStageData(spec: DataSpec, limits: DataLimits, seed: number, onProgress?: (done: number, total: number) => void): StageData & { loaded?: LoadedDataset } {
  if (spec.source === 'fashion-mnist') return loadFashionMnistData(limits, spec.dataDir, seed);
  if (spec.source === 'path') return loadUserStageData(spec, limits, seed, onProgress);
  throw new FbnetError('USAGE', `unknown data source ${JSON.stringify((spec as { source: unknown }).source)}`);
}

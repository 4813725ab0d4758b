import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FbnetError } from '@fbnet/core';
import { findCifar10Dir, loadCifar10 } from './cifar10.ts';
import { dataCacheKey, defaultDataCacheDir, readDataCache, writeDataCache } from './data-cache.ts';
import type { ImageDataset } from './dataset.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { decodeImageFolder, listImageFolder, type DecodeProgress } from './image-folder.ts';
import { loadIdxFolder, looksLikeIdxFolder } from './idx-folder.ts';
import { computeChannelMeanStd } from './normalization.ts';
import { resizeBilinear } from './resize.ts';
import { splitDataset } from './stratified-split.ts';
import { SUBSET_MANIFEST_FILE } from './subset-manifest.ts';

export const DATA_FORMATS = ['auto', 'folder', 'idx', 'cifar10', 'fashion-mnist'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];
export type ResolvedDataFormat = Exclude<DataFormat, 'auto'>;

export interface LoadDatasetOptions {
  format?: DataFormat;
  /** Square side every image is resized to (bilinear, half-pixel centres); default: the data's own size. */
  size?: number;
  /** Fraction of the training files held out for validation when the data has no validation split (default 0.1). */
  valFraction?: number;
  /** Fraction held out for test when the data has no test split (default 0.2; image folders only, the others ship one). */
  testFraction?: number;
  /** Seed of the stratified splits. */
  seed?: number;
  /** Folder of the decoded-image cache (default `~/.cache/fbnet/data`), or false for none. Image folders only. */
  cacheDir?: string | false;
  /** Called after each decoded image (image folders; not called on a cache hit). */
  onProgress?: DecodeProgress;
}

/** Where each split came from: its own files, or a stratified split of the training files. */
export type SplitOrigin = 'files' | 'split';

/** A data set ready to train on, whatever its format: three splits and the training split's statistics. */
export interface LoadedDataset {
  readonly format: ResolvedDataFormat;
  readonly path: string;
  readonly train: ImageDataset;
  readonly val: ImageDataset;
  readonly test: ImageDataset;
  readonly origin: { readonly val: SplitOrigin; readonly test: SplitOrigin };
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classNames: readonly string[];
  /** Per-channel mean and std of the training split, [0, 1] pixel scale. */
  readonly normalization: { readonly mean: number[]; readonly std: number[] };
  /** The cache file read or written (image folders), undefined when no cache was used or it could not be written. */
  readonly cacheFile?: string;
  readonly fromCache: boolean;
}

/**
 * Which format `path` holds: a CIFAR-10 batch folder, a folder with a Fashion-MNIST subset
 * manifest, a folder of IDX files, else an image folder (class sub-folders).
 */
export function detectDataFormat(path: string): ResolvedDataFormat {
  if (!existsSync(path)) throw new FbnetError('FILE_INVALID', `${path}: data path does not exist`);
  if (!statSync(path).isDirectory()) {
    throw new FbnetError('FILE_INVALID', `${path}: --data takes a folder (image folder, IDX files or CIFAR-10 batches), this is a file`);
  }
  if (findCifar10Dir(path)) return 'cifar10';
  if (existsSync(join(path, SUBSET_MANIFEST_FILE))) return 'fashion-mnist';
  if (looksLikeIdxFolder(path)) return 'idx';
  const hasSubfolder = readdirSync(path, { withFileTypes: true }).some((e) => !e.name.startsWith('.') && e.isDirectory());
  if (hasSubfolder) return 'folder';
  throw new FbnetError('FILE_INVALID', `${path}: not a known data set: no class sub-folders, IDX files or CIFAR-10 batches`);
}

function resizeDataset(ds: ImageDataset, size: number): ImageDataset {
  if (ds.height === size && ds.width === size) return ds;
  const from = ds.height * ds.width * ds.channels;
  const to = size * size * ds.channels;
  const images = new Uint8Array(ds.count * to);
  for (let i = 0; i < ds.count; i++) {
    const src = ds.images.subarray(i * from, (i + 1) * from);
    resizeBilinear(src, ds, { height: size, width: size }, ds.channels, images.subarray(i * to, (i + 1) * to));
  }
  return { ...ds, images, height: size, width: size };
}

function loadFolder(path: string, o: LoadDatasetOptions) {
  const listing = listImageFolder(path);
  const cacheDir = o.cacheDir === false ? undefined : (o.cacheDir ?? defaultDataCacheDir());
  const key = dataCacheKey(listing, o.size);
  const cached = cacheDir ? readDataCache(cacheDir, key) : undefined;
  if (cached?.train) return { ...cached, train: cached.train, cacheFile: join(cacheDir!, `${key}.bin`), fromCache: true };
  const decoded = decodeImageFolder(listing, { size: o.size, onProgress: o.onProgress });
  const cacheFile = cacheDir ? writeDataCache(cacheDir, key, decoded) : undefined;
  return { ...decoded, train: decoded.train!, cacheFile, fromCache: false };
}

/**
 * Load a data set from `path` in any supported format (`format: 'auto'` detects it), resize it to
 * `size` when given, and give train/val/test splits: a split the data does not ship is a
 * stratified split of the training files (`valFraction`, `testFraction`, `seed`).
 */
export function loadDataset(path: string, options: LoadDatasetOptions = {}): LoadedDataset {
  const format = !options.format || options.format === 'auto' ? detectDataFormat(path) : options.format;
  const size = options.size;
  if (size !== undefined && !(Number.isInteger(size) && size > 0)) {
    throw new FbnetError('USAGE', `loadDataset: size must be a positive integer, got ${size}`);
  }
  let parts: { train: ImageDataset; val?: ImageDataset; test?: ImageDataset; cacheFile?: string; fromCache?: boolean };
  switch (format) {
    case 'folder':
      parts = loadFolder(path, options);
      break;
    case 'idx':
      parts = loadIdxFolder(path);
      break;
    case 'cifar10':
      parts = loadCifar10(path);
      break;
    case 'fashion-mnist':
      parts = {
        train: loadFashionMnist({ split: 'train', dataDir: path }),
        test: loadFashionMnist({ split: 'test', dataDir: path }),
      };
      break;
    default:
      throw new FbnetError('USAGE', `loadDataset: unknown format "${String(format)}"; known: ${DATA_FORMATS.join(', ')}`);
  }
  const seed = options.seed ?? 0;
  const valFraction = options.valFraction ?? 0.1;
  const testFraction = parts.test ? 0 : (options.testFraction ?? 0.2);
  const hold = parts.val ? 0 : valFraction;
  let { train, val, test } = parts;
  if (!val || !test) {
    const [t, v, s] = splitDataset(train, { fractions: [1 - hold - testFraction, hold, testFraction], seed });
    train = t;
    val ??= v;
    test ??= s;
  }
  const origin = { val: parts.val ? 'files' : 'split', test: parts.test ? 'files' : 'split' } as const;
  if (size !== undefined) [train, val, test] = [train, val, test].map((d) => resizeDataset(d, size));
  if (train.count === 0) throw new FbnetError('FILE_INVALID', `${path}: no training images left after holding out val/test`);
  if (test.count === 0) throw new FbnetError('FILE_INVALID', `${path}: too few images for a test split (give a test/ folder or more images)`);
  return {
    format,
    path,
    train,
    val,
    test,
    origin,
    height: train.height,
    width: train.width,
    channels: train.channels,
    classNames: train.classNames,
    normalization: computeChannelMeanStd(train.images, train.channels),
    cacheFile: parts.cacheFile,
    fromCache: parts.fromCache ?? false,
  };
}

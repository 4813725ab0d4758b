import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  classCounts,
  dataCacheKey,
  defaultDataCacheDir,
  detectDataFormat,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  loadDataset,
  listImageFolder,
  loadFashionMnist,
  numClasses,
  readDataCache,
  selectClassBalanced,
  splitTrainVal,
  takeSamples,
  type ImageDataset,
  type LoadedDataset,
} from '@fbnet/data';
import { FbnetError } from '@fbnet/core';
import type { InputNormalization } from '@fbnet/nn';
import { resizeDataset } from '../space/resize.ts';
import type { DataSpec } from './job.ts';

export interface CandidateData {
  train: ImageDataset;
  val: ImageDataset;
  normalization: InputNormalization;
}

type PathSpec = Extract<DataSpec, { source: 'path' }>;

const cache = new Map<string, CandidateData>();
/** Loaded user data sets, one per (path, format, size, split): every candidate of a run shares one. */
const loaded = new Map<string, LoadedDataset>();

/**
 * The data a job names, at the arch's input resolution. Deterministic (class-balanced pick and
 * stratified split from the spec's seed), so every worker trains on the same images; cached per process.
 */
export function loadCandidateData(spec: DataSpec, resolution: number): CandidateData {
  const key = JSON.stringify([spec, resolution]);
  const hit = cache.get(key);
  if (hit) return hit;
  let base: CandidateData;
  const baseKey = JSON.stringify([spec, 'base']);
  const b = cache.get(baseKey);
  if (b) base = b;
  else {
    base = spec.source === 'path' ? userBase(spec) : fashionMnistBase(spec);
    cache.set(baseKey, base);
  }
  if (resolution > base.train.height) {
    const where = spec.source === 'path' ? spec.path : 'fashion-mnist';
    throw new FbnetError('USAGE', `a candidate at ${resolution}x${resolution} cannot train on the ${base.train.height}x${base.train.width} images of ${where} (the space's resolutions must not exceed the data's size)`);
  }
  const out = { ...base, train: resizeDataset(base.train, resolution), val: resizeDataset(base.val, resolution) };
  cache.set(key, out);
  return out;
}

function fashionMnistBase(spec: Extract<DataSpec, { source: 'fashion-mnist' }>): CandidateData {
  const full = loadFashionMnist({ split: 'train', dataDir: spec.dataDir });
  const k = numClasses(full);
  const total = spec.trainImages + spec.valImages;
  const perClass = Math.floor(total / k);
  if (perClass * k > full.count) throw new FbnetError('USAGE', `data spec asks for ${total} images, the train split has ${full.count}`);
  const picked = takeSamples(full, selectClassBalanced(full.labels, k, perClass, spec.seed));
  const { train, val } = splitTrainVal(picked, { valFraction: spec.valImages / (perClass * k), seed: spec.seed });
  return { train, val, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] } };
}

/**
 * The user's data set as the stage loaded it (same format, size, validation share and seed, so
 * the same training split and per-channel statistics), then the candidate's class-balanced cut of
 * that training split: at most `trainImages + valImages`, no class giving more than the smallest
 * has. Image folders come from `@fbnet/data`'s decoded-image cache after the first load.
 */
function userBase(spec: PathSpec): CandidateData {
  const data = loadUserData(spec);
  const pool = data.train;
  const k = numClasses(pool);
  const counts = classCounts(pool.labels, k);
  const total = spec.trainImages + spec.valImages;
  const perClass = Math.min(Math.floor(total / k), ...counts);
  if (perClass < 2) {
    const c = counts.indexOf(Math.min(...counts));
    throw new FbnetError('FILE_INVALID', `${spec.path}: class "${pool.classNames[c]}" has ${counts[c]} training image(s) after holding out val/test; a candidate needs at least 2 per class`);
  }
  const picked = perClass * k === pool.count ? pool : takeSamples(pool, selectClassBalanced(pool.labels, k, perClass, spec.seed));
  const { train, val } = splitTrainVal(picked, { valFraction: spec.valImages / total, seed: spec.seed });
  return { train, val, normalization: { mean: [...data.normalization.mean], std: [...data.normalization.std] } };
}

/** What identifies a loaded user data set: the fields of a path data spec that `loadDataset` reads. */
export type UserDataSpec = Pick<PathSpec, 'path' | 'format' | 'size' | 'valFraction' | 'seed'>;

/**
 * The user's data set as `loadDataset` gives it (the stage's splits and per-channel statistics),
 * once per process: the coordinator's final training and in-process candidates share it.
 */
export function loadUserData(spec: UserDataSpec): LoadedDataset {
  const key = JSON.stringify([spec.path, spec.format ?? 'auto', spec.size ?? null, spec.valFraction, spec.seed]);
  const hit = loaded.get(key);
  if (hit) return hit;
  // A worker on another machine is the usual reason: say where it looked.
  if (!existsSync(spec.path)) throw new FbnetError('FILE_INVALID', `${spec.path}: candidate data path does not exist on ${hostname()} (pid ${process.pid}); every worker must see the data at this path`);
  const format = !spec.format || spec.format === 'auto' ? detectDataFormat(spec.path) : spec.format;
  const size = format === 'folder' && spec.size !== undefined && decodedAtSize(spec.path, spec.size) ? undefined : spec.size;
  const data = loadDataset(spec.path, { format, size, seed: spec.seed, valFraction: spec.valFraction });
  loaded.set(key, data);
  return data;
}

/**
 * Whether the image folder's decoded-image cache already holds it at its own size and that is
 * `size`: then loading without `size` gives the same pixels (resizing to the same size is the
 * identity) from that cache, instead of decoding every image again under `size`'s cache key (a
 * pipeline hands the stage the size it loaded the data at, not whether it was asked for).
 */
function decodedAtSize(path: string, size: number): boolean {
  try {
    const cached = readDataCache(defaultDataCacheDir(), dataCacheKey(listImageFolder(path), undefined));
    return !!cached?.train && cached.train.height === size && cached.train.width === size;
  } catch {
    return false;
  }
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FbnetError } from '@fbnet/core';
import { classCounts, type ImageDataset } from './dataset.ts';
import { readFileBytes, readIdx } from './read-idx.ts';
import { sha256Hex } from './sha256.ts';
import { SUBSET_MANIFEST_FILE, parseSubsetManifest, type SubsetManifest } from './subset-manifest.ts';

/** Class names in label order (Xiao et al. 2017, Fashion-MNIST README). */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

export const FASHION_MNIST_IMAGE_SIZE = 28;

export type FashionMnistSplit = 'train' | 'test';

/** Base names of the four files as published (the test split is called "t10k"). */
export const FASHION_MNIST_FILES: Readonly<Record<FashionMnistSplit, { images: string; labels: string }>> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** The class-balanced subset committed with this package (made by tools/make-fmnist-subset.ts). */
export const BUNDLED_FASHION_MNIST_DIR = fileURLToPath(new URL('../assets/fashion-mnist-subset/', import.meta.url));

export interface FashionMnist extends ImageDataset {
  readonly split: FashionMnistSplit;
  /** Directory the files were read from. */
  readonly dir: string;
  /** Paths of the two files read. */
  readonly files: { readonly images: string; readonly labels: string };
  /** The subset manifest when the directory has one (always for the bundled subset). */
  readonly manifest?: SubsetManifest;
}

export interface LoadFashionMnistOptions {
  split: FashionMnistSplit;
  /** Directory with the published files (`.gz` or plain), e.g. /usr/share/datasets/fashion-mnist. Default: the bundled subset. */
  dataDir?: string;
}

/** `<base>.gz` if present, else `<base>`; FILE_INVALID listing both when neither exists. */
function findFile(dir: string, base: string): string {
  for (const name of [`${base}.gz`, base]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new FbnetError('FILE_INVALID', `${dir}: Fashion-MNIST file not found: neither ${base}.gz nor ${base}`);
}

function loadManifest(dir: string, required: boolean): SubsetManifest | undefined {
  const path = join(dir, SUBSET_MANIFEST_FILE);
  if (!existsSync(path)) {
    if (required) throw new FbnetError('FILE_INVALID', `${path}: bundled subset manifest is missing`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FbnetError('FILE_INVALID', `${path}: not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseSubsetManifest(raw, path);
}

/**
 * Load one split of Fashion-MNIST as plain typed arrays. Checks what a corrupt or mixed-up
 * directory would get wrong: ubyte IDX of rank 3 / rank 1, 28×28 images, as many labels as
 * images, labels in 0..9, and, where a subset manifest exists, every file's sha256.
 */
export function loadFashionMnist(options: LoadFashionMnistOptions): FashionMnist {
  const { split } = options;
  if (split !== 'train' && split !== 'test') throw new FbnetError('USAGE', `loadFashionMnist: split must be "train" or "test", got "${String(split)}"`);
  const dir = options.dataDir ?? BUNDLED_FASHION_MNIST_DIR;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new FbnetError('FILE_INVALID', `${dir}: Fashion-MNIST data directory does not exist or is not a directory`);
  }
  const manifest = loadManifest(dir, options.dataDir === undefined);

  const imagesPath = findFile(dir, FASHION_MNIST_FILES[split].images);
  const labelsPath = findFile(dir, FASHION_MNIST_FILES[split].labels);
  const imageBytes = readFileBytes(imagesPath);
  const labelBytes = readFileBytes(labelsPath);
  if (manifest) {
    verifyAgainstManifest(manifest, dir, imagesPath, imageBytes);
    verifyAgainstManifest(manifest, dir, labelsPath, labelBytes);
  }

  const images = readIdx(imageBytes, { dtype: 'ubyte', rank: 3, name: imagesPath });
  const labels = readIdx(labelBytes, { dtype: 'ubyte', rank: 1, name: labelsPath });
  const [n, h, w] = images.dims;
  if (n === 0) throw new FbnetError('DATA_CORRUPT', `${imagesPath}: holds 0 images; a data set needs at least one`);
  if (h !== FASHION_MNIST_IMAGE_SIZE || w !== FASHION_MNIST_IMAGE_SIZE) {
    throw new FbnetError('DATA_CORRUPT', `${imagesPath}: images are ${h}x${w}, Fashion-MNIST images are 28x28`);
  }
  if (labels.dims[0] !== n) {
    throw new FbnetError('DATA_CORRUPT', `${labelsPath}: ${labels.dims[0]} label(s), but ${imagesPath} holds ${n} image(s)`);
  }
  const k = FASHION_MNIST_CLASSES.length;
  const bad = labels.data.findIndex((c) => c >= k);
  if (bad >= 0) throw new FbnetError('DATA_CORRUPT', `${labelsPath}: label ${labels.data[bad]} at index ${bad} is outside 0..${k - 1}`);

  if (manifest) {
    const want = manifest.splits[split].countsPerClass;
    const got = classCounts(labels.data, k);
    if (want.join() !== got.join()) {
      throw new FbnetError('DATA_CORRUPT', `${labelsPath}: per-class counts [${got.join(', ')}] differ from the manifest's [${want.join(', ')}]`);
    }
  }

  return {
    images: images.data,
    labels: labels.data,
    count: n,
    height: h,
    width: w,
    channels: 1,
    classNames: FASHION_MNIST_CLASSES,
    split,
    dir,
    files: { images: imagesPath, labels: labelsPath },
    manifest,
  };
}

function verifyAgainstManifest(manifest: SubsetManifest, dir: string, path: string, bytes: Uint8Array): void {
  const entry = manifest.files[basename(path)];
  if (entry === undefined) throw new FbnetError('DATA_CORRUPT', `${path}: not listed in ${join(dir, SUBSET_MANIFEST_FILE)}`);
  const got = sha256Hex(bytes);
  if (got !== entry.sha256) {
    throw new FbnetError('DATA_CORRUPT', `${path}: sha256 ${got} differs from the manifest's ${entry.sha256} (damaged file or Git LFS pointer?)`);
  }
}

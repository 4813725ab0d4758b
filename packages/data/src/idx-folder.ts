import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FbnetError } from '@fbnet/core';
import type { ImageDataset } from './dataset.ts';
import { gunzipHead, isGzip } from './gzip.ts';
import { readFileBytes, readIdx } from './read-idx.ts';

type Split = 'train' | 'test';
interface IdxFile {
  path: string;
  name: string;
  dims: number[];
}

/** The split a file name belongs to: MNIST-like sets call the test split "t10k" or "test". */
function splitOf(name: string): Split | undefined {
  const n = name.toLowerCase();
  if (/t10k|test/.test(n)) return 'test';
  if (/train/.test(n)) return 'train';
  return undefined;
}

/** Header of a ubyte IDX file (plain or gzip), or undefined when the file is not one. */
function ubyteIdxDims(path: string): number[] | undefined {
  let bytes = readFileBytes(path);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipHead(bytes, 4 + 4 * 4);
    } catch {
      return undefined;
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) return undefined;
  const rank = bytes[3];
  if (rank < 1 || rank > 4 || bytes.length < 4 + 4 * rank) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: rank }, (_, i) => v.getUint32(4 + 4 * i, false));
}

/** Files of `dir` that are ubyte IDX: `rank 3` (N×H×W) or rank 4 with 1 or 3 channels are images, rank 1 labels. */
function scan(dir: string): { images: IdxFile[]; labels: IdxFile[] } {
  const images: IdxFile[] = [];
  const labels: IdxFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name.startsWith('.') || !statSync(path).isFile()) continue;
    const dims = ubyteIdxDims(path);
    if (!dims) continue;
    if (dims.length === 1) labels.push({ path, name, dims });
    else if (dims.length === 3 || (dims.length === 4 && (dims[3] === 1 || dims[3] === 3))) images.push({ path, name, dims });
  }
  return { images, labels };
}

/** True when `dir` holds at least one IDX image file and one IDX label file. */
export function looksLikeIdxFolder(dir: string): boolean {
  const { images, labels } = scan(dir);
  return images.length > 0 && labels.length > 0;
}

function pick(kind: string, files: IdxFile[], split: Split, dir: string): IdxFile | undefined {
  const mine = files.filter((f) => splitOf(f.name) === split);
  if (mine.length > 1) {
    const names = mine.map((f) => f.name).join(', ');
    throw new FbnetError('FILE_INVALID', `${dir}: ${mine.length} IDX ${kind} files for the ${split} split (${names}); keep one`);
  }
  return mine[0];
}

export interface IdxFolderData {
  train: ImageDataset;
  test?: ImageDataset;
  files: { train: { images: string; labels: string }; test?: { images: string; labels: string } };
}

/**
 * An MNIST-like set stored as IDX files under any names (MNIST, Fashion-MNIST, KMNIST, EMNIST
 * splits…), plain or gzip: a ubyte image file (N×H×W or N×H×W×C) and a ubyte label file per
 * split, the split told by the name ("train"; "test" or "t10k"). Class names are "0".."K-1",
 * K = the largest label + 1.
 */
export function loadIdxFolder(dir: string): IdxFolderData {
  const { images, labels } = scan(dir);
  const found: Partial<Record<Split, { images: string; labels: string }>> = {};
  for (const split of ['train', 'test'] as const) {
    const im = pick('image', images, split, dir);
    const lb = pick('label', labels, split, dir);
    if (im && lb) found[split] = { images: im.path, labels: lb.path };
    else if (im || lb) {
      const have = (im ?? lb)!;
      throw new FbnetError('FILE_INVALID', `${have.path}: no IDX ${im ? 'label' : 'image'} file for the ${split} split beside it`);
    }
  }
  if (!found.train) {
    const seen = [...images, ...labels].map((f) => f.name).join(', ') || 'none';
    throw new FbnetError('FILE_INVALID', `${dir}: no IDX image and label files with "train" in their names (IDX files found: ${seen})`);
  }
  const read = (f: { images: string; labels: string }) => {
    const im = readIdx(f.images, { dtype: 'ubyte' });
    const lb = readIdx(f.labels, { dtype: 'ubyte', rank: 1 });
    const [n, h, w] = im.dims;
    if (lb.dims[0] !== n) {
      throw new FbnetError('DATA_CORRUPT', `${f.labels}: ${lb.dims[0]} label(s), but ${f.images} holds ${n} image(s)`);
    }
    if (n === 0) throw new FbnetError('DATA_CORRUPT', `${f.images}: holds 0 images`);
    return { images: im.data, labels: lb.data, count: n, height: h, width: w, channels: im.dims[3] ?? 1 };
  };
  const train = read(found.train);
  const test = found.test ? read(found.test) : undefined;
  if (test && (test.height !== train.height || test.width !== train.width || test.channels !== train.channels)) {
    const shape = (d: typeof train) => `${d.height}x${d.width}x${d.channels}`;
    throw new FbnetError('DATA_CORRUPT', `${found.test!.images}: images are ${shape(test)}, the training images ${shape(train)}`);
  }
  let k = 0;
  for (const l of train.labels) k = Math.max(k, l + 1);
  if (test) for (const l of test.labels) k = Math.max(k, l + 1);
  if (k < 2) throw new FbnetError('DATA_CORRUPT', `${found.train.labels}: every label is 0; a classification data set needs at least 2 classes`);
  const classNames = Array.from({ length: k }, (_, i) => String(i));
  return {
    train: { ...train, classNames },
    test: test ? { ...test, classNames } : undefined,
    files: { train: found.train, test: found.test },
  };
}

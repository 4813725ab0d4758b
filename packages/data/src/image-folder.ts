import { readdirSync, statSync, type Dirent } from 'node:fs';
import { extname, join } from 'node:path';
import { FbnetError } from '@fbnet/core';
import type { ImageDataset } from './dataset.ts';
import { decodeImage, grayToRgb, IMAGE_EXTENSIONS, type DecodedImage } from './image-decode.ts';
import { readFileBytes } from './read-idx.ts';
import { resizeBilinear } from './resize.ts';

/**
 * Files skipped inside a class folder: hidden files (`.DS_Store`, macOS `._*` resource forks,
 * editor swap files) and the thumbnail databases Windows writes. Any other non-image file is an
 * error that names it, so a mislabelled or half-copied data set does not train silently.
 */
export function isJunkFile(name: string): boolean {
  return name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini';
}

export type FolderSplitName = 'train' | 'val' | 'test';
export const FOLDER_SPLITS: readonly FolderSplitName[] = ['train', 'val', 'test'];

/** One image file of the listing: its path, label, and what the cache key uses (bytes and mtime). */
export interface FolderFile {
  readonly path: string;
  readonly label: number;
  readonly bytes: number;
  readonly mtimeMs: number;
}

/** What an image folder holds, before any decoding: class names and the files of each split present on disk. */
export interface FolderListing {
  readonly root: string;
  readonly classNames: readonly string[];
  readonly splits: Partial<Record<FolderSplitName, readonly FolderFile[]>>;
}

export type DecodeProgress = (done: number, total: number, file: string) => void;

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new FbnetError('FILE_INVALID', `${dir}: cannot read folder: ${(e as Error).message}`, { cause: e });
  }
}

function isDir(e: Dirent, parent: string): boolean {
  return e.isDirectory() || (e.isSymbolicLink() && statSync(join(parent, e.name)).isDirectory());
}

/** Class folders of a split folder, sorted by name (code-point order, as Python's `sorted`). Files beside them are ignored. */
function classFolders(dir: string): string[] {
  return entries(dir)
    .filter((e) => !e.name.startsWith('.') && isDir(e, dir))
    .map((e) => e.name)
    .sort();
}

function imagesOf(dir: string): { path: string; bytes: number; mtimeMs: number }[] {
  const out: { path: string; bytes: number; mtimeMs: number }[] = [];
  for (const e of entries(dir).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, e.name);
    if (isJunkFile(e.name)) continue;
    if (isDir(e, dir)) {
      throw new FbnetError('FILE_INVALID', `${path}: a folder inside a class folder; images must sit directly in ${dir}`);
    }
    if (!IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) {
      const exts = IMAGE_EXTENSIONS.join(', ');
      throw new FbnetError('FILE_INVALID', `${path}: not an image file (class folders hold ${exts} files); remove it or move it out`);
    }
    const st = statSync(path);
    out.push({ path, bytes: st.size, mtimeMs: st.mtimeMs });
  }
  if (out.length === 0) throw new FbnetError('FILE_INVALID', `${dir}: empty class folder (no .png, .jpg or .jpeg files)`);
  return out;
}

/**
 * List an image folder in either layout torchvision's `ImageFolder` and Keras'
 * `image_dataset_from_directory` read: `root/<class>/*.png|jpg|jpeg`, or `root/train/<class>/…`
 * with optional `root/val/` and `root/test/` of the same layout. The class index is the position
 * of the class folder's name in sorted order, taken from the training folder; val/test may hold a
 * subset of those classes, never another one.
 */
export function listImageFolder(root: string): FolderListing {
  let st;
  try {
    st = statSync(root);
  } catch (e) {
    throw new FbnetError('FILE_INVALID', `${root}: data path does not exist`, { cause: e });
  }
  if (!st.isDirectory()) throw new FbnetError('FILE_INVALID', `${root}: an image-folder data set is a folder, this is a file`);
  const top = classFolders(root);
  const splitLayout = top.includes('train');
  if (splitLayout) {
    const other = top.find((n) => !(FOLDER_SPLITS as readonly string[]).includes(n));
    if (other) {
      throw new FbnetError('FILE_INVALID', `${join(root, other)}: beside train/, an image folder may only hold val/ and test/`);
    }
  }
  const trainDir = splitLayout ? join(root, 'train') : root;
  const classNames = classFolders(trainDir);
  if (classNames.length < 2) {
    const found = classNames.length ? `only "${classNames[0]}"` : 'none';
    throw new FbnetError('FILE_INVALID', `${trainDir}: a classification data set needs at least 2 class folders, found ${found}`);
  }
  if (classNames.length > 256) {
    throw new FbnetError('FILE_INVALID', `${trainDir}: ${classNames.length} class folders; labels are bytes, so at most 256`);
  }
  const splits: Partial<Record<FolderSplitName, FolderFile[]>> = {};
  for (const split of FOLDER_SPLITS) {
    if (split !== 'train' && !(splitLayout && top.includes(split))) continue;
    const dir = split === 'train' ? trainDir : join(root, split);
    const names = split === 'train' ? classNames : classFolders(dir);
    const files: FolderFile[] = [];
    for (const name of names) {
      const label = classNames.indexOf(name);
      if (label < 0) {
        const known = classNames.join(', ');
        throw new FbnetError('FILE_INVALID', `${join(dir, name)}: class "${name}" has no folder in ${trainDir} (classes: ${known})`);
      }
      for (const f of imagesOf(join(dir, name))) files.push({ ...f, label });
    }
    if (files.length === 0) throw new FbnetError('FILE_INVALID', `${dir}: holds no class folders`);
    splits[split] = files;
  }
  return { root, classNames, splits };
}

export interface DecodeFolderOptions {
  /** Square side every image is resized to (bilinear, half-pixel centres). Default: the images' own size, which must then agree. */
  size?: number;
  onProgress?: DecodeProgress;
}

/**
 * Decode every file of a listing into one data set per split. Grayscale images stay 1 channel;
 * if any image of the folder is colour, every image becomes RGB (gray repeated), so the data
 * set has one channel count.
 */
export function decodeImageFolder(
  listing: FolderListing,
  options: DecodeFolderOptions = {},
): Partial<Record<FolderSplitName, ImageDataset>> {
  const all = FOLDER_SPLITS.flatMap((s) => listing.splits[s] ?? []);
  const decoded: DecodedImage[] = [];
  all.forEach((f, i) => {
    decoded.push(decodeImage(readFileBytes(f.path), f.path));
    options.onProgress?.(i + 1, all.length, f.path);
  });
  const channels = decoded.some((d) => d.channels === 3) ? 3 : 1;
  const first = decoded[0];
  const height = options.size ?? first.height;
  const width = options.size ?? first.width;
  if (options.size === undefined) {
    const odd = decoded.findIndex((d) => d.height !== height || d.width !== width);
    if (odd >= 0) {
      const d = decoded[odd];
      const why = `is ${d.width}x${d.height}, ${all[0].path} is ${width}x${height}`;
      throw new FbnetError('USAGE', `${all[odd].path}: ${why}; give a size to resize every image to`);
    }
  }
  const out: Partial<Record<FolderSplitName, ImageDataset>> = {};
  let at = 0;
  const pixels = height * width * channels;
  for (const split of FOLDER_SPLITS) {
    const files = listing.splits[split];
    if (!files) continue;
    const images = new Uint8Array(files.length * pixels);
    const labels = new Uint8Array(files.length);
    files.forEach((f, i) => {
      const d = channels === 3 ? grayToRgb(decoded[at + i]) : decoded[at + i];
      resizeBilinear(d.data, d, { height, width }, channels, images.subarray(i * pixels, (i + 1) * pixels));
      labels[i] = f.label;
    });
    at += files.length;
    out[split] = { images, labels, count: files.length, height, width, channels, classNames: listing.classNames };
  }
  return out;
}

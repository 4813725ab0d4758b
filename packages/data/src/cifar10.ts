import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FbnetError } from '@fbnet/core';
import type { ImageDataset } from './dataset.ts';
import { readFileBytes } from './read-idx.ts';

/** Class names in label order (Krizhevsky 2009; the set's batches.meta.txt). */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
]);

const SIDE = 32;
/** One record: a label byte, then 3×32×32 pixels, channel-major (all red, then green, then blue). */
export const CIFAR10_RECORD_BYTES = 1 + 3 * SIDE * SIDE;

const TRAIN_FILE = /^data_batch_(\d+)\.bin$/;
const TEST_FILE = 'test_batch.bin';

/** The folder holding the batches: `path` itself, or the `cifar-10-batches-bin` folder the archive unpacks to. */
export function findCifar10Dir(path: string): string | undefined {
  for (const dir of [path, join(path, 'cifar-10-batches-bin')]) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    if (readdirSync(dir).some((n) => TRAIN_FILE.test(n) || n === TEST_FILE)) return dir;
  }
  return undefined;
}

/** Records of CIFAR-10 binary batch files, CHW pixels turned into NHWC (the TF.js layout). */
export function readCifar10Batches(paths: readonly string[], classNames: readonly string[] = CIFAR10_CLASSES): ImageDataset {
  const bytes = paths.map((p) => {
    const b = readFileBytes(p);
    if (b.length % CIFAR10_RECORD_BYTES !== 0) {
      const whole = Math.floor(b.length / CIFAR10_RECORD_BYTES);
      const rest = b.length - whole * CIFAR10_RECORD_BYTES;
      throw new FbnetError('DATA_CORRUPT', `${p}: truncated record: ${rest} byte(s) after ${whole} whole record(s) of ${CIFAR10_RECORD_BYTES} bytes`);
    }
    if (b.length === 0) throw new FbnetError('DATA_CORRUPT', `${p}: empty batch file`);
    return b;
  });
  const count = bytes.reduce((a, b) => a + b.length / CIFAR10_RECORD_BYTES, 0);
  const plane = SIDE * SIDE;
  const images = new Uint8Array(count * 3 * plane);
  const labels = new Uint8Array(count);
  let n = 0;
  bytes.forEach((b, f) => {
    for (let at = 0; at < b.length; at += CIFAR10_RECORD_BYTES, n++) {
      const label = b[at];
      if (label >= classNames.length) {
        const rec = at / CIFAR10_RECORD_BYTES;
        throw new FbnetError('DATA_CORRUPT', `${paths[f]}: record ${rec} has label ${label}, outside 0..${classNames.length - 1}`);
      }
      labels[n] = label;
      const px = at + 1;
      const dst = n * 3 * plane;
      for (let p = 0; p < plane; p++) {
        images[dst + 3 * p] = b[px + p];
        images[dst + 3 * p + 1] = b[px + plane + p];
        images[dst + 3 * p + 2] = b[px + 2 * plane + p];
      }
    }
  });
  return { images, labels, count, height: SIDE, width: SIDE, channels: 3, classNames };
}

/** Class names from `batches.meta.txt` (one a line) when it lists ten, else the published ones. */
function classNamesOf(dir: string): readonly string[] {
  const meta = join(dir, 'batches.meta.txt');
  if (!existsSync(meta)) return CIFAR10_CLASSES;
  const names = readFileSync(meta, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  return names.length === CIFAR10_CLASSES.length ? names : CIFAR10_CLASSES;
}

/** CIFAR-10 binary version: `data_batch_1..5.bin` (any of them present) for training, `test_batch.bin` for test. */
export function loadCifar10(path: string): { train: ImageDataset; test?: ImageDataset; dir: string } {
  const dir = findCifar10Dir(path);
  if (!dir) {
    const want = 'no CIFAR-10 batch files (data_batch_N.bin, test_batch.bin) here or in cifar-10-batches-bin/';
    throw new FbnetError('FILE_INVALID', `${path}: ${want}`);
  }
  const names = readdirSync(dir);
  const trainFiles = names
    .filter((n) => TRAIN_FILE.test(n))
    .sort((a, b) => Number(TRAIN_FILE.exec(a)![1]) - Number(TRAIN_FILE.exec(b)![1]))
    .map((n) => join(dir, n));
  if (trainFiles.length === 0) throw new FbnetError('FILE_INVALID', `${dir}: no training batches (data_batch_1.bin … data_batch_5.bin)`);
  const classNames = classNamesOf(dir);
  const train = readCifar10Batches(trainFiles, classNames);
  const test = names.includes(TEST_FILE) ? readCifar10Batches([join(dir, TEST_FILE)], classNames) : undefined;
  return { train, test, dir };
}

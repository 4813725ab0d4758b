import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classCounts } from './dataset.ts';
import { encodeIdx } from './encode-idx.ts';
import { BUNDLED_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, loadFashionMnist } from './fashion-mnist.ts';
import { gzipDeterministic } from './gzip.ts';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, computeMeanStd } from './normalization.ts';
import { SUBSET_MANIFEST_FILE } from './subset-manifest.ts';
import { expectFbnetError } from './test-helpers.ts';

const FULL_DIR = '/usr/share/datasets/fashion-mnist';
const hasFull = existsSync(join(FULL_DIR, 'train-images-idx3-ubyte.gz')) || existsSync(join(FULL_DIR, 'train-images-idx3-ubyte'));

/** A directory with a tiny hand-made "Fashion-MNIST" split; options break one thing at a time. */
function fakeDir(opts: { n?: number; labels?: number[]; h?: number; imagesDtype?: 'ubyte' | 'float'; gzip?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'fbnet-fmnist-'));
  const n = opts.n ?? 3;
  const h = opts.h ?? 28;
  const labels = opts.labels ?? [0, 9, 4];
  const pixels = Uint8Array.from({ length: n * h * 28 }, (_, i) => i % 256);
  const images =
    opts.imagesDtype === 'float'
      ? encodeIdx({ dtype: 'float', dims: [n, h, 28], data: Float32Array.from(pixels) })
      : encodeIdx({ dtype: 'ubyte', dims: [n, h, 28], data: pixels });
  const lab = encodeIdx({ dtype: 'ubyte', dims: [labels.length], data: Uint8Array.from(labels) });
  const gz = opts.gzip ?? false;
  writeFileSync(join(dir, `train-images-idx3-ubyte${gz ? '.gz' : ''}`), gz ? gzipDeterministic(images) : images);
  writeFileSync(join(dir, `train-labels-idx1-ubyte${gz ? '.gz' : ''}`), gz ? gzipDeterministic(lab) : lab);
  return dir;
}

describe('loadFashionMnist: bundled subset', () => {
  it('train: 10000 images, 1000 per class, 28x28, raw pixels', () => {
    const ds = loadFashionMnist({ split: 'train' });
    expect(ds.count).toBe(10000);
    expect([ds.height, ds.width, ds.channels]).toEqual([28, 28, 1]);
    expect(ds.images).toBeInstanceOf(Uint8Array);
    expect(ds.images.length).toBe(10000 * 784);
    expect(ds.labels.length).toBe(10000);
    expect(classCounts(ds.labels, 10)).toEqual(new Array(10).fill(1000));
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(ds.classNames[9]).toBe('Ankle boot');
    expect(ds.manifest?.seed).toBeTypeOf('number');
    // Real images, not blanks: Fashion-MNIST averages ~0.29 in [0, 1].
    expect(computeMeanStd(ds.images).mean).toBeGreaterThan(0.25);
    expect(computeMeanStd(ds.images).mean).toBeLessThan(0.33);
  });

  it('test: 2000 images, 200 per class', () => {
    const ds = loadFashionMnist({ split: 'test' });
    expect(ds.count).toBe(2000);
    expect(classCounts(ds.labels, 10)).toEqual(new Array(10).fill(200));
  });

  it('refuses a bundled file whose sha256 differs from the manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-fmnist-'));
    cpSync(BUNDLED_FASHION_MNIST_DIR, dir, { recursive: true });
    const p = join(dir, 't10k-labels-idx1-ubyte.gz');
    const b = readFileSync(p);
    b[b.length - 1] ^= 1;
    writeFileSync(p, b);
    expectFbnetError(() => loadFashionMnist({ dataDir: dir, split: 'test' }), 'DATA_CORRUPT', p, 'sha256');
    // The train split's files are intact and still load.
    expect(loadFashionMnist({ dataDir: dir, split: 'train' }).count).toBe(10000);
  });

  it('refuses an invalid manifest, naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-fmnist-'));
    cpSync(BUNDLED_FASHION_MNIST_DIR, dir, { recursive: true });
    const p = join(dir, SUBSET_MANIFEST_FILE);
    const m = JSON.parse(readFileSync(p, 'utf8'));
    m.version = 2;
    writeFileSync(p, JSON.stringify(m));
    expectFbnetError(() => loadFashionMnist({ dataDir: dir, split: 'train' }), 'FILE_INVALID', p, 'version');
    writeFileSync(p, '{ not json');
    expectFbnetError(() => loadFashionMnist({ dataDir: dir, split: 'train' }), 'FILE_INVALID', p, 'not valid JSON');
  });
});

describe('loadFashionMnist: a --data-dir', () => {
  it('loads plain and gzip files without a manifest', () => {
    for (const gzip of [false, true]) {
      const ds = loadFashionMnist({ dataDir: fakeDir({ gzip }), split: 'train' });
      expect(ds.count).toBe(3);
      expect([...ds.labels]).toEqual([0, 9, 4]);
      expect(ds.images[785]).toBe(785 % 256);
      expect(ds.manifest).toBeUndefined();
      expect(ds.files.images.endsWith(gzip ? '.gz' : 'ubyte')).toBe(true);
    }
  });

  it('images/labels count mismatch names both files', () => {
    const dir = fakeDir({ labels: [0, 1] });
    expectFbnetError(() => loadFashionMnist({ dataDir: dir, split: 'train' }), 'DATA_CORRUPT', 'train-labels-idx1-ubyte', '2 label(s)', 'train-images-idx3-ubyte holds 3 image(s)');
  });

  it('label outside 0..9', () =>
    expectFbnetError(() => loadFashionMnist({ dataDir: fakeDir({ labels: [0, 10, 3] }), split: 'train' }), 'DATA_CORRUPT', 'train-labels-idx1-ubyte', 'label 10 at index 1', '0..9'));

  it('a set with 0 images names the file', () => {
    const dir = fakeDir({ n: 0, labels: [] });
    expectFbnetError(() => loadFashionMnist({ dataDir: dir, split: 'train' }), 'DATA_CORRUPT', join(dir, 'train-images-idx3-ubyte'), 'holds 0 images');
  });

  it('images that are not 28x28', () =>
    expectFbnetError(() => loadFashionMnist({ dataDir: fakeDir({ h: 27 }), split: 'train' }), 'DATA_CORRUPT', 'train-images-idx3-ubyte', '27x28'));

  it('images stored as float', () =>
    expectFbnetError(() => loadFashionMnist({ dataDir: fakeDir({ imagesDtype: 'float' }), split: 'train' }), 'DATA_CORRUPT', 'train-images-idx3-ubyte', 'wrong dtype'));

  it('a missing split file is FILE_INVALID listing the names tried', () => {
    const dir = fakeDir();
    expectFbnetError(() => loadFashionMnist({ dataDir: dir, split: 'test' }), 'FILE_INVALID', dir, 't10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte');
  });

  it('a missing directory is FILE_INVALID', () => {
    const dir = join(tmpdir(), 'fbnet-definitely-missing-dir');
    expectFbnetError(() => loadFashionMnist({ dataDir: dir, split: 'train' }), 'FILE_INVALID', dir);
  });

  it('a bad split name is USAGE', () =>
    expectFbnetError(() => loadFashionMnist({ split: 'val' as 'train' }), 'USAGE', '"val"'));
});

describe('loadFashionMnist: full Debian set', () => {
  it.skipIf(!hasFull)(`loads 60000 train / 10000 test images from ${FULL_DIR}${hasFull ? '' : ' — skipped: the full set is not installed there'}`, () => {
    const train = loadFashionMnist({ dataDir: FULL_DIR, split: 'train' });
    const test = loadFashionMnist({ dataDir: FULL_DIR, split: 'test' });
    expect(train.count).toBe(60000);
    expect(test.count).toBe(10000);
    expect(classCounts(train.labels, 10)).toEqual(new Array(10).fill(6000));
    expect(classCounts(test.labels, 10)).toEqual(new Array(10).fill(1000));
    // The published constants are the full training set's pixel mean and std.
    const s = computeMeanStd(train.images);
    expect(s.mean).toBeCloseTo(FASHION_MNIST_MEAN, 12);
    expect(s.std).toBeCloseTo(FASHION_MNIST_STD, 12);
  });
});

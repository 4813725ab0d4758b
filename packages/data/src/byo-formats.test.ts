import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CIFAR10_RECORD_BYTES, loadCifar10 } from './cifar10.ts';
import { encodeIdx } from './encode-idx.ts';
import { gzipDeterministic } from './gzip.ts';
import { loadIdxFolder } from './idx-folder.ts';
import { computeChannelMeanStd } from './normalization.ts';
import { detectDataFormat, loadDataset } from './load-dataset.ts';
import { resizeBilinear } from './resize.ts';
import { expectFbnetError } from './test-helpers.ts';
import { BUNDLED_FASHION_MNIST_DIR } from './fashion-mnist.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fbnet-byo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function idxImages(n: number, h: number, w: number, seed: number): Uint8Array {
  const data = new Uint8Array(n * h * w).map((_, i) => (i * 7 + seed) % 256);
  return encodeIdx({ dtype: 'ubyte', dims: [n, h, w], data });
}
const idxLabels = (labels: number[]) => encodeIdx({ dtype: 'ubyte', dims: [labels.length], data: Uint8Array.from(labels) });

describe('IDX folders under any names', () => {
  it('pairs train and test files by name, plain or gzip, and infers the classes', () => {
    writeFileSync(join(dir, 'emnist-letters-train-images-idx3-ubyte.gz'), gzipDeterministic(idxImages(6, 5, 5, 1)));
    writeFileSync(join(dir, 'emnist-letters-train-labels-idx1-ubyte'), idxLabels([0, 1, 2, 0, 1, 2]));
    writeFileSync(join(dir, 'emnist-letters-test-images-idx3-ubyte'), idxImages(3, 5, 5, 2));
    writeFileSync(join(dir, 'emnist-letters-test-labels-idx1-ubyte.gz'), gzipDeterministic(idxLabels([2, 1, 0])));
    writeFileSync(join(dir, 'README'), 'not an IDX file');
    const d = loadIdxFolder(dir);
    expect([d.train.count, d.train.height, d.train.width, d.train.channels]).toEqual([6, 5, 5, 1]);
    expect(d.test?.count).toBe(3);
    expect(d.train.classNames).toEqual(['0', '1', '2']);
    expect(d.train.images[1]).toBe(8);
    expect(detectDataFormat(dir)).toBe('idx');
    const all = loadDataset(dir, { size: 8 });
    expect(all.origin).toEqual({ val: 'split', test: 'files' });
    expect([all.test.height, all.test.width]).toEqual([8, 8]);
  });

  it('reads rank-4 RGB IDX images (N, H, W, 3) and makes a validation split without a test file', () => {
    const data = new Uint8Array(8 * 2 * 2 * 3).map((_, i) => i);
    writeFileSync(join(dir, 'rgb-train-images'), encodeIdx({ dtype: 'ubyte', dims: [8, 2, 2, 3], data }));
    writeFileSync(join(dir, 'rgb-train-labels'), idxLabels([0, 1, 0, 1, 0, 1, 0, 1]));
    const d = loadIdxFolder(dir);
    expect([d.train.channels, d.test]).toEqual([3, undefined]);
    expect(d.train.images[13]).toBe(13);
    const all = loadDataset(dir, { valFraction: 0.25, testFraction: 0.25 });
    expect(all.origin).toEqual({ val: 'split', test: 'split' });
    expect([all.train.count, all.val.count, all.test.count]).toEqual([4, 2, 2]);
    expect(all.normalization.mean).toHaveLength(3);
  });

  it('names the file whose partner is missing, and a label/image count mismatch', () => {
    writeFileSync(join(dir, 'a-train-images'), idxImages(4, 3, 3, 0));
    expectFbnetError(() => loadIdxFolder(dir), 'FILE_INVALID', join(dir, 'a-train-images'), 'no IDX label file');
    writeFileSync(join(dir, 'a-train-labels'), idxLabels([0, 1, 0]));
    expectFbnetError(() => loadIdxFolder(dir), 'DATA_CORRUPT', join(dir, 'a-train-labels'), '3 label(s)');
  });
});

/** A CIFAR-10 batch: record r has label r % 10 and pixel (y, x) of channel c = (r + c * 50 + y + x) % 256. */
function cifarBatch(records: number, first: number): Uint8Array {
  const b = new Uint8Array(records * CIFAR10_RECORD_BYTES);
  for (let r = 0; r < records; r++) {
    const at = r * CIFAR10_RECORD_BYTES;
    b[at] = (first + r) % 10;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
      b[at + 1 + c * 1024 + y * 32 + x] = (first + r + c * 50 + y + x) % 256;
    }
  }
  return b;
}

describe('CIFAR-10 binary', () => {
  it('reads CHW records as NHWC, batches in numeric order, from the archive folder', () => {
    const sub = join(dir, 'cifar-10-batches-bin');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'data_batch_2.bin'), cifarBatch(10, 10));
    writeFileSync(join(sub, 'data_batch_1.bin'), cifarBatch(10, 0));
    writeFileSync(join(sub, 'test_batch.bin'), cifarBatch(10, 100));
    expect(detectDataFormat(dir)).toBe('cifar10');
    const d = loadCifar10(dir);
    expect([d.train.count, d.train.height, d.train.channels]).toEqual([20, 32, 3]);
    expect(d.train.labels[12]).toBe(2);
    expect(d.train.classNames[0]).toBe('airplane');
    // Record 12 (first = 10 → value base 12), pixel (y=1, x=2), channel 1 (green).
    const at = 12 * 3072 + (1 * 32 + 2) * 3;
    expect(Array.from(d.train.images.subarray(at, at + 3))).toEqual([15, 65, 115]);
    expect(d.test?.count).toBe(10);
  });

  it('names the file with a truncated record', () => {
    writeFileSync(join(dir, 'data_batch_1.bin'), cifarBatch(2, 0).subarray(0, CIFAR10_RECORD_BYTES + 100));
    expectFbnetError(() => loadDataset(dir), 'DATA_CORRUPT', join(dir, 'data_batch_1.bin'), 'truncated record', '100 byte(s) after 1 whole record');
  });
});

describe('resize and statistics', () => {
  it('bilinear with half-pixel centres: 2x2 to 4x4 and back, identity at the same size', () => {
    const src = Uint8Array.from([0, 100, 200, 40]);
    const up = resizeBilinear(src, { height: 2, width: 2 }, { height: 4, width: 4 }, 1);
    // Row 0: x sources -0.25→0 (clamped), 0.25, 0.75, 1.25→1: 0, 25, 75, 100.
    expect(Array.from(up.subarray(0, 4))).toEqual([0, 25, 75, 100]);
    // Row 1 (source y 0.25): 0.75·row0 + 0.25·row1 at x = 0: 0.75·0 + 0.25·200 = 50.
    expect(up[4]).toBe(50);
    const down = resizeBilinear(up, { height: 4, width: 4 }, { height: 2, width: 2 }, 1);
    // 4→2 samples at source 0.5 and 2.5: the mean of each 2x2 block of `up` (rows 0-1 are
    // [0, 25, 75, 100] and [50, 59, 76, 85]): (0+25+50+59)/4 = 33.5 → 34, (75+100+76+85)/4 = 84.
    expect(Array.from(down)).toEqual([34, 84, 159, 64]);
    expect(Array.from(resizeBilinear(src, { height: 2, width: 2 }, { height: 2, width: 2 }, 1))).toEqual([0, 100, 200, 40]);
  });

  it('per-channel mean/std by hand', () => {
    const px = Uint8Array.from([0, 255, 51, 255, 255, 51]);
    const m = computeChannelMeanStd(px, 3);
    expect(m.mean[0]).toBeCloseTo(0.5, 12);
    expect(m.std[0]).toBeCloseTo(0.5, 12);
    expect(m.mean[1]).toBeCloseTo(1, 12);
    expect(m.std[1]).toBe(1); // constant channel: std 1, not 0
    expect(m.mean[2]).toBeCloseTo(0.2, 12);
  });

  it('auto-detects the bundled Fashion-MNIST subset and keeps its classes', () => {
    const d = loadDataset(BUNDLED_FASHION_MNIST_DIR, { seed: 3 });
    expect(d.format).toBe('fashion-mnist');
    expect(d.classNames[9]).toBe('Ankle boot');
    expect(d.origin).toEqual({ val: 'split', test: 'files' });
  });

  it('refuses a file or an unknown folder as data', () => {
    writeFileSync(join(dir, 'x.txt'), 'x');
    expectFbnetError(() => detectDataFormat(join(dir, 'x.txt')), 'FILE_INVALID', 'x.txt', 'is a file');
    expectFbnetError(() => detectDataFormat(dir), 'FILE_INVALID', dir, 'not a known data set');
  });
});

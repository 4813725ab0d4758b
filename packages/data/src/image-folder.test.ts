import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeImage } from './image-decode.ts';
import { listImageFolder } from './image-folder.ts';
import { loadDataset } from './load-dataset.ts';
import { classCounts } from './dataset.ts';
import { expectFbnetError } from './test-helpers.ts';
import { classImage, encodeJpeg, encodePng, writeBytes, writeClassFolder } from './testing.ts';

let root: string;
let cache: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'fbnet-folder-'));
  cache = mkdtempSync(join(tmpdir(), 'fbnet-cache-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
});

describe('decodeImage', () => {
  it('keeps gray PNGs 1-channel and RGB PNGs 3-channel with the exact pixels', () => {
    const img = classImage(0, 4, 1);
    const rgb = decodeImage(encodePng(img, 'rgb'), 'a.png');
    expect([rgb.width, rgb.height, rgb.channels]).toEqual([4, 4, 3]);
    expect(Array.from(rgb.data.subarray(0, 3))).toEqual(Array.from(img.rgba.subarray(0, 3)));
    const gray = decodeImage(encodePng(img, 'gray'), 'b.png');
    expect(gray.channels).toBe(1);
    expect(gray.data[5]).toBe(img.rgba[4 * 5]);
  });

  it('decodes a JPEG as RGB close to the source', () => {
    const img = classImage(1, 8, 2);
    const d = decodeImage(encodeJpeg(img, 100), 'c.jpg');
    expect(d.channels).toBe(3);
    let err = 0;
    for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) err = Math.max(err, Math.abs(d.data[3 * p + c] - img.rgba[4 * p + c]));
    expect(err).toBeLessThan(40);
  });

  it('names the file of a corrupt PNG, a corrupt JPEG and a non-image', () => {
    const png = encodePng(classImage(0, 4, 1), 'rgb');
    expectFbnetError(() => decodeImage(png.subarray(0, 40), 'x/bad.png'), 'DATA_CORRUPT', 'x/bad.png', 'corrupt PNG');
    const jpg = encodeJpeg(classImage(0, 8, 1));
    expectFbnetError(() => decodeImage(jpg.subarray(0, 30), 'x/bad.jpg'), 'DATA_CORRUPT', 'x/bad.jpg', 'corrupt JPEG');
    expectFbnetError(() => decodeImage(new TextEncoder().encode('hello'), 'x/a.png'), 'DATA_CORRUPT', 'x/a.png', 'not a PNG or JPEG');
    const huge = png.slice();
    new DataView(huge.buffer).setUint32(16, 100_000, false);
    new DataView(huge.buffer).setUint32(20, 100_000, false);
    expectFbnetError(() => decodeImage(huge, 'x/huge.png'), 'DATA_CORRUPT', 'x/huge.png', '100000x100000');
  });
});

describe('image folders', () => {
  it('reads root/<class>/ with uneven classes, sorted class names, a stratified split and the cache', () => {
    writeClassFolder(root, [12, 7, 9], 6);
    writeBytes(root, 'class1/.DS_Store', 'junk');
    writeBytes(root, 'README.md', 'files beside the class folders are ignored');
    const progress: number[] = [];
    const a = loadDataset(root, { cacheDir: cache, onProgress: (done) => progress.push(done) });
    expect(a.format).toBe('folder');
    expect(a.classNames).toEqual(['class0', 'class1', 'class2']);
    expect([a.height, a.width, a.channels]).toEqual([6, 6, 3]);
    expect(a.origin).toEqual({ val: 'split', test: 'split' });
    expect(a.train.count + a.val.count + a.test.count).toBe(28);
    const per = [a.train, a.val, a.test].map((d) => classCounts(d.labels, 3));
    expect(per[0].map((n, k) => n + per[1][k] + per[2][k])).toEqual([12, 7, 9]);
    expect(per[2].every((n) => n >= 1)).toBe(true);
    expect(progress.at(-1)).toBe(28);
    expect(a.fromCache).toBe(false);
    expect(a.normalization.mean).toHaveLength(3);
    // Class 0 is red: its red mean is far above its blue mean, and the train-split statistics show it.
    expect(a.normalization.mean[0]).toBeGreaterThan(a.normalization.mean[2]);

    const again: number[] = [];
    const b = loadDataset(root, { cacheDir: cache, onProgress: (d) => again.push(d) });
    expect(b.fromCache).toBe(true);
    expect(again).toEqual([]);
    expect(b.cacheFile).toBe(a.cacheFile);
    expect(Buffer.from(b.train.images).equals(Buffer.from(a.train.images))).toBe(true);
    expect(Array.from(b.test.labels)).toEqual(Array.from(a.test.labels));

    // A damaged cache file is not trusted: decoded again, same arrays, cache rewritten.
    writeFileSync(a.cacheFile!, Buffer.from(readFileSync(a.cacheFile!).subarray(0, 100)));
    const c = loadDataset(root, { cacheDir: cache });
    expect(c.fromCache).toBe(false);
    expect(Buffer.from(c.train.images).equals(Buffer.from(a.train.images))).toBe(true);
    expect(loadDataset(root, { cacheDir: cache }).fromCache).toBe(true);

    // A changed file changes the key: decoded again.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'class0/img0.png'), later, later);
    expect(loadDataset(root, { cacheDir: cache }).fromCache).toBe(false);
  });

  it('reads train/val/test folders, resizes, and makes a folder mixing gray PNG and RGB JPEG all RGB', () => {
    writeClassFolder(join(root, 'train'), [4, 5], 8, { color: 'gray' });
    writeBytes(root, 'train/class1/photo.jpeg', encodeJpeg(classImage(1, 10, 99)));
    writeClassFolder(join(root, 'val'), [2, 2], 8, { seed: 50 });
    writeClassFolder(join(root, 'test'), [0, 3], 8, { seed: 60 });
    rmSync(join(root, 'test/class0'), { recursive: true, force: true });
    const d = loadDataset(root, { size: 5, cacheDir: false });
    expect(d.origin).toEqual({ val: 'files', test: 'files' });
    expect([d.train.count, d.val.count, d.test.count]).toEqual([10, 4, 3]);
    expect([d.height, d.width, d.channels]).toEqual([5, 5, 3]);
    expect(Array.from(d.test.labels)).toEqual([1, 1, 1]);
    expect(d.cacheFile).toBeUndefined();
    // A gray image repeated into RGB has equal channels.
    const px = d.train.images.subarray(0, 3);
    expect(px[0]).toBe(px[1]);
    expect(px[1]).toBe(px[2]);
  });

  it('keeps an all-gray folder 1-channel', () => {
    writeClassFolder(root, [3, 3], 4, { color: 'gray' });
    const d = loadDataset(root, { cacheDir: false, testFraction: 0.34, valFraction: 0 });
    expect(d.channels).toBe(1);
    expect(d.normalization.mean).toHaveLength(1);
  });

  it('names the file or folder of every bad case', () => {
    writeClassFolder(root, [3, 3], 4);
    writeBytes(root, 'class0/notes.txt', 'hello');
    expectFbnetError(() => listImageFolder(root), 'FILE_INVALID', join(root, 'class0/notes.txt'), 'not an image file');
    rmSync(join(root, 'class0/notes.txt'));

    writeBytes(root, 'class1/broken.png', encodePng(classImage(0, 4, 1), 'rgb').subarray(0, 50));
    expectFbnetError(() => loadDataset(root, { cacheDir: false }), 'DATA_CORRUPT', join(root, 'class1/broken.png'));
    rmSync(join(root, 'class1/broken.png'));

    writeBytes(root, 'class1/broken.jpg', encodeJpeg(classImage(0, 8, 1)).subarray(0, 100));
    expectFbnetError(() => loadDataset(root, { cacheDir: false }), 'DATA_CORRUPT', join(root, 'class1/broken.jpg'));
    rmSync(join(root, 'class1/broken.jpg'));

    writeBytes(root, 'class1/text.png', 'not really a png');
    expectFbnetError(() => loadDataset(root, { cacheDir: false }), 'DATA_CORRUPT', join(root, 'class1/text.png'), 'not a PNG or JPEG');
    rmSync(join(root, 'class1/text.png'));

    writeBytes(root, 'class2/.DS_Store', 'only junk');
    expectFbnetError(() => listImageFolder(root), 'FILE_INVALID', join(root, 'class2'), 'empty class folder');
    rmSync(join(root, 'class2'), { recursive: true });

    writeBytes(root, 'class1/big.png', encodePng(classImage(1, 6, 1), 'rgb'));
    expectFbnetError(() => loadDataset(root, { cacheDir: false }), 'USAGE', join(root, 'class1/big.png'), 'give a size');
    expect(loadDataset(root, { cacheDir: false, size: 4 }).train.height).toBe(4);
    rmSync(join(root, 'class1'), { recursive: true });

    expectFbnetError(() => listImageFolder(root), 'FILE_INVALID', root, 'at least 2 class folders', 'only "class0"');
  });

  it('with val/ but no test/, cuts the test split from train/ and keeps val/ whole', () => {
    writeClassFolder(join(root, 'train'), [10, 10], 4);
    writeClassFolder(join(root, 'val'), [1, 2], 4, { seed: 30 });
    const d = loadDataset(root, { cacheDir: false, testFraction: 0.2 });
    expect(d.origin).toEqual({ val: 'files', test: 'split' });
    expect([d.train.count, d.val.count, d.test.count]).toEqual([16, 3, 4]);
    expect(classCounts(d.test.labels, 2)).toEqual([2, 2]);
  });

  it('refuses a val/ class that training does not have', () => {
    writeClassFolder(join(root, 'train'), [2, 2], 4);
    writeBytes(root, 'val/other/a.png', encodePng(classImage(0, 4, 1), 'rgb'));
    expectFbnetError(() => listImageFolder(root), 'FILE_INVALID', join(root, 'val', 'other'), 'class "other"');
  });
});

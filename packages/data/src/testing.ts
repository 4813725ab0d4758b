import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { Rng } from '@fbnet/core';

/**
 * Test helpers (the `@fbnet/data/testing` subpath): small images generated and encoded in
 * memory, so tests build image folders in a temp dir instead of checking in binary fixtures.
 */

/** An RGBA image whose colour depends on `label` (each class a distinct hue, plus seeded noise), learnable in one epoch. */
export function classImage(label: number, size: number, seed: number): { width: number; height: number; rgba: Uint8Array } {
  const rng = new Rng(seed);
  const rgba = new Uint8Array(size * size * 4);
  const base = [
    [220, 40, 40],
    [40, 200, 40],
    [40, 40, 220],
    [200, 200, 40],
    [200, 40, 200],
  ][label % 5];
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = Math.max(0, Math.min(255, base[c] + Math.round((rng.next() - 0.5) * 60)));
    rgba[4 * p + 3] = 255;
  }
  return { width: size, height: size, rgba };
}

/** PNG bytes of an RGBA image, stored as RGB or as grayscale (the red channel). */
export function encodePng(img: { width: number; height: number; rgba: Uint8Array }, color: 'rgb' | 'gray'): Uint8Array {
  const png = new pngjs.PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.rgba);
  if (color === 'gray') for (let p = 0; p < img.width * img.height; p++) png.data[4 * p + 1] = png.data[4 * p + 2] = png.data[4 * p];
  return new Uint8Array(pngjs.PNG.sync.write(png, { colorType: color === 'gray' ? 0 : 2 }));
}

/** JPEG bytes (jpeg-js writes 3-component YCbCr JPEGs only). */
export function encodeJpeg(img: { width: number; height: number; rgba: Uint8Array }, quality = 95): Uint8Array {
  return new Uint8Array(jpeg.encode({ width: img.width, height: img.height, data: Buffer.from(img.rgba) }, quality).data);
}

/** Write `bytes` to `root/rel`, creating folders. */
export function writeBytes(root: string, rel: string, bytes: Uint8Array | string): string {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

/** An image folder `root/<class>/img<i>.png` of `perClass[k]` RGB PNGs for class k (names "class0", "class1", …). */
export function writeClassFolder(
  root: string,
  perClass: readonly number[],
  size: number,
  options: { seed?: number; color?: 'rgb' | 'gray' } = {},
): void {
  let n = options.seed ?? 0;
  perClass.forEach((count, k) => {
    for (let i = 0; i < count; i++) {
      writeBytes(root, `class${k}/img${i}.png`, encodePng(classImage(k, size, n++), options.color ?? 'rgb'));
    }
  });
}

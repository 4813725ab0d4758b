import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { FbnetError } from '@fbnet/core';

/** A decoded image: HWC row-major 0..255 pixels, 1 channel (grayscale) or 3 (RGB). */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/** Extensions read as images (lower case); anything else in a class folder is an error unless it is known junk. */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg']);

/** Guard against a corrupt header asking for gigapixels; the pure-JS decoders would try. */
const MAX_MEGAPIXELS = 64;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_MAGIC.every((v, i) => b[i] === v);
}

function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/**
 * Component count from a JPEG's start-of-frame segment (ITU T.81 §B.2.2: FF Cn, Lf(2), P(1), Y(2), X(2), Nf(1)).
 * jpeg-js always returns RGBA, so this is how a grayscale JPEG is told apart from a colour one.
 */
function jpegComponents(b: Uint8Array): number | undefined {
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const m = b[i + 1];
    if (m === 0xff) {
      i++;
      continue;
    }
    if ((m >= 0xd0 && m <= 0xd9) || m === 0x01) {
      i += 2;
      continue;
    }
    const sof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (sof) return i + 9 < b.length ? b[i + 9] : undefined;
    if (m === 0xda) return undefined;
    i += 2 + ((b[i + 2] << 8) | b[i + 3]);
  }
  return undefined;
}

/** RGBA (4 bytes a pixel) to 1 or 3 channels; alpha is dropped (not composited), as torchvision's `convert('RGB')` does. */
function fromRgba(rgba: Uint8Array, width: number, height: number, channels: 1 | 3): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) {
    if (channels === 1) out[p] = rgba[4 * p];
    else {
      out[3 * p] = rgba[4 * p];
      out[3 * p + 1] = rgba[4 * p + 1];
      out[3 * p + 2] = rgba[4 * p + 2];
    }
  }
  return out;
}

/**
 * Decode a PNG or JPEG, told apart by their magic bytes (not the file name). Grayscale files
 * (PNG colour types 0 and 4, single-component JPEG) give 1 channel; everything else
 * (RGB, RGBA, palette, CMYK-less colour JPEG) gives 3. Every failure is DATA_CORRUPT naming `name`.
 */
export function decodeImage(bytes: Uint8Array, name: string): DecodedImage {
  const corrupt = (what: string, cause?: unknown) =>
    new FbnetError('DATA_CORRUPT', `${name}: ${what}`, cause === undefined ? undefined : { cause });
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng(bytes)) {
    // IHDR is the first chunk: width and height at bytes 16-23, big-endian (PNG spec §11.2.2).
    if (bytes.length >= 24) {
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const [w, h] = [v.getUint32(16, false), v.getUint32(20, false)];
      if (w * h > MAX_MEGAPIXELS * 1e6) throw corrupt(`PNG header says ${w}x${h}, more than ${MAX_MEGAPIXELS} megapixels`);
    }
    let png: { width: number; height: number; data: Buffer; color?: boolean; palette?: boolean };
    try {
      png = pngjs.PNG.sync.read(buf) as typeof png;
    } catch (e) {
      throw corrupt(`corrupt PNG: ${(e as Error).message}`, e);
    }
    checkSize(png.width, png.height, corrupt);
    const channels = png.color || png.palette ? 3 : 1;
    return { width: png.width, height: png.height, channels, data: fromRgba(png.data, png.width, png.height, channels) };
  }
  if (isJpeg(bytes)) {
    let img: { width: number; height: number; data: Uint8Array };
    try {
      img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS });
    } catch (e) {
      throw corrupt(`corrupt JPEG: ${(e as Error).message}`, e);
    }
    checkSize(img.width, img.height, corrupt);
    const channels = jpegComponents(bytes) === 1 ? 1 : 3;
    return { width: img.width, height: img.height, channels, data: fromRgba(img.data, img.width, img.height, channels) };
  }
  const head = Array.from(bytes.subarray(0, 4), (v) => v.toString(16).padStart(2, '0')).join(' ');
  throw corrupt(`not a PNG or JPEG file (first bytes: ${head || 'none, the file is empty'})`);
}

function checkSize(width: number, height: number, corrupt: (what: string) => FbnetError): void {
  if (!(width > 0 && height > 0)) throw corrupt(`image has no pixels (${width}x${height})`);
}

/** Gray to RGB by repeating the channel, so a folder mixing both becomes all RGB. */
export function grayToRgb(img: DecodedImage): DecodedImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = img.data[p];
  return { ...img, channels: 3, data: out };
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdx } from './encode-idx.ts';
import { gunzipBounded, gunzipHead, GunzipTooLarge, gzipDeterministic, isGzip } from './gzip.ts';
import type { IdxArray } from './idx-format.ts';
import { readIdx } from './read-idx.ts';
import { expectFbnetError } from './test-helpers.ts';

const bytes = (...b: number[]) => new Uint8Array(b);

/** 2×3 ubyte matrix 1..6, written by hand. */
const UBYTE_2x3 = bytes(0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6);

describe('readIdx on hand-built buffers', () => {
  it('decodes a ubyte matrix: dims from big-endian uint32s, row-major data', () => {
    const a = readIdx(UBYTE_2x3);
    expect(a.dtype).toBe('ubyte');
    expect(a.dims).toEqual([2, 3]);
    expect(a.data).toBeInstanceOf(Uint8Array);
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads dims larger than 255 big-endian', () => {
    const b = new Uint8Array(8 + 258);
    b.set([0, 0, 0x08, 1, 0, 0, 0x01, 0x02]);
    expect(readIdx(b).dims).toEqual([258]);
  });

  it('decodes big-endian multi-byte elements', () => {
    expect([...readIdx(bytes(0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe)).data]).toEqual([258, -2]);
    expect([...readIdx(bytes(0, 0, 0x0c, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfd)).data]).toEqual([-3]);
    expect([...readIdx(bytes(0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0)).data]).toEqual([1.5]);
    expect([...readIdx(bytes(0, 0, 0x09, 1, 0, 0, 0, 2, 0x80, 0x7f)).data]).toEqual([-128, 127]);
    expect([...readIdx(bytes(0, 0, 0x0e, 1, 0, 0, 0, 1, 0xc0, 0x04, 0, 0, 0, 0, 0, 0)).data]).toEqual([-2.5]);
  });

  it('encodeIdx writes exactly the hand-built bytes', () => {
    expect(encodeIdx({ dtype: 'ubyte', dims: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 6]) })).toEqual(UBYTE_2x3);
    expect(encodeIdx({ dtype: 'short', dims: [2], data: Int16Array.from([258, -2]) })).toEqual(
      bytes(0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe),
    );
  });

  it('round-trips every dtype, plain and gzip', () => {
    const arrays: IdxArray[] = [
      { dtype: 'ubyte', dims: [2, 2, 2], data: Uint8Array.from([0, 1, 127, 128, 200, 254, 255, 3]) },
      { dtype: 'byte', dims: [3], data: Int8Array.from([-128, 0, 127]) },
      { dtype: 'short', dims: [2, 2], data: Int16Array.from([-32768, -1, 1, 32767]) },
      { dtype: 'int', dims: [3], data: Int32Array.from([-2147483648, 65536, 2147483647]) },
      { dtype: 'float', dims: [1, 3], data: Float32Array.from([-0.25, 3.5e-20, 1e30]) },
      { dtype: 'double', dims: [2], data: Float64Array.from([Math.PI, -1e-300]) },
      { dtype: 'ubyte', dims: [0, 28, 28], data: new Uint8Array(0) },
    ];
    for (const a of arrays) {
      const plain = encodeIdx(a);
      for (const enc of [plain, gzipDeterministic(plain)]) {
        const back = readIdx(enc);
        expect(back.dtype).toBe(a.dtype);
        expect(back.dims).toEqual(a.dims);
        expect(back.data.constructor).toBe(a.data.constructor);
        expect([...back.data]).toEqual([...a.data]);
      }
    }
  });

  it('reads files by path, detecting gzip by magic bytes rather than name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-idx-'));
    const gz = gzipDeterministic(UBYTE_2x3);
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(UBYTE_2x3)).toBe(false);
    writeFileSync(join(dir, 'plain.idx'), UBYTE_2x3);
    writeFileSync(join(dir, 'zipped-but-named-plain.idx'), gz);
    for (const f of ['plain.idx', 'zipped-but-named-plain.idx']) expect([...readIdx(join(dir, f)).data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('does not alias the input buffer', () => {
    const src = UBYTE_2x3.slice();
    const a = readIdx(src);
    src[12] = 99;
    expect(a.data[0]).toBe(1);
  });
});

describe('readIdx on corrupt input: DATA_CORRUPT naming the file and the fault', () => {
  const name = 'fixture.idx';
  const corrupt = (b: Uint8Array, ...p: (RegExp | string)[]) =>
    expectFbnetError(() => readIdx(b, { name }), 'DATA_CORRUPT', name, ...p);

  it('bad magic number', () => corrupt(bytes(1, 0, 8, 1, 0, 0, 0, 0), 'bad magic number', '0x01 0x00'));
  it('unknown dtype byte', () => corrupt(bytes(0, 0, 0x07, 1, 0, 0, 0, 0), 'unknown dtype byte 0x07'));
  it('rank 0', () => corrupt(bytes(0, 0, 8, 0), 'rank 0'));
  it('header shorter than 4 bytes', () => corrupt(bytes(0, 0, 8), 'truncated header', '3 byte'));
  it('dims cut short', () => corrupt(bytes(0, 0, 8, 3, 0, 0, 0, 1, 0, 0), 'truncated header', 'rank 3 needs 16'));
  it('data shorter than the dims say', () => corrupt(UBYTE_2x3.subarray(0, 17), 'data truncated', 'dims [2, 3] need 6', 'found 5'));
  it('multi-byte data short by one byte', () =>
    corrupt(bytes(0, 0, 0x0c, 1, 0, 0, 0, 1, 0, 0, 0), 'data truncated', 'need 4 byte(s) of int'));
  it('trailing garbage', () => {
    const b = new Uint8Array(UBYTE_2x3.length + 1);
    b.set(UBYTE_2x3);
    corrupt(b, 'trailing garbage', '1 byte(s)');
  });
  it('empty file', () => corrupt(new Uint8Array(0), 'truncated header'));

  it('wrong dtype when one is required', () => {
    const f = encodeIdx({ dtype: 'float', dims: [1], data: Float32Array.from([1]) });
    expectFbnetError(() => readIdx(f, { name, dtype: 'ubyte' }), 'DATA_CORRUPT', name, 'wrong dtype', 'expected ubyte (0x08)', 'found float (0x0d)');
  });
  it('wrong rank when one is required', () =>
    expectFbnetError(() => readIdx(UBYTE_2x3, { name, rank: 3 }), 'DATA_CORRUPT', name, 'wrong rank', 'expected 3', 'found 2'));

  it('gzip stream truncated', () => {
    const gz = gzipDeterministic(UBYTE_2x3);
    corrupt(gz.subarray(0, gz.length - 6), 'bad gzip stream');
  });
  it('gzip stream with a flipped byte (CRC or deflate error)', () => {
    const big = encodeIdx({ dtype: 'ubyte', dims: [1000], data: Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256) });
    const gz = gzipDeterministic(big);
    gz[Math.floor(gz.length / 2)] ^= 0xff;
    corrupt(gz, 'bad gzip stream');
  });
  it('gzip that decompresses to a corrupt IDX reports the IDX fault', () =>
    corrupt(gzipDeterministic(UBYTE_2x3.subarray(0, 15)), 'data truncated'));

  it('a gzip bomb: inflating stops at the size the IDX header implies', () => {
    // A header claiming 10 28x28 images (7856 bytes with the header), followed by 64 MB of zeros.
    const header = encodeIdx({ dtype: 'ubyte', dims: [10, 28, 28], data: new Uint8Array(7840) }).subarray(0, 16);
    const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 * 1024 * 1024)]), { level: 9 });
    expect(bomb.length).toBeLessThan(200_000);
    corrupt(bomb, 'gzip content is larger than the 7856 bytes its header describes', 'dims [10, 28, 28]', 'stopped inflating');
    expect(() => gunzipBounded(bomb, 7856)).toThrow(GunzipTooLarge);
    expect(gunzipHead(bomb, 16)).toEqual(new Uint8Array(header));
    // a stream that is exactly as long as its header says still reads
    expect(readIdx(gzipDeterministic(UBYTE_2x3)).dims).toEqual([2, 3]);
  });
  it('dims that describe more bytes than a buffer holds', () =>
    corrupt(gzipDeterministic(bytes(0, 0, 0x0e, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), 'more than one buffer can hold'));

  it('a truncated file on disk is named by its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-idx-'));
    const p = join(dir, 'cut-idx1-ubyte');
    writeFileSync(p, UBYTE_2x3.subarray(0, 14));
    expectFbnetError(() => readIdx(p), 'DATA_CORRUPT', p, 'data truncated');
  });
  it('a missing file is FILE_INVALID naming the path', () => {
    const p = join(tmpdir(), 'fbnet-no-such-dir', 'missing-idx3-ubyte');
    expectFbnetError(() => readIdx(p), 'FILE_INVALID', p);
  });
});

describe('encodeIdx / gzipDeterministic', () => {
  it('refuses data that does not fill the dims', () =>
    expectFbnetError(() => encodeIdx({ dtype: 'ubyte', dims: [2, 2], data: new Uint8Array(3) }), 'USAGE', 'hold 4', 'data has 3'));

  it('writes a reproducible gzip header (mtime 0, OS unknown) that gunzip accepts', () => {
    const a = gzipDeterministic(UBYTE_2x3);
    const b = gzipDeterministic(UBYTE_2x3.slice());
    expect(a).toEqual(b);
    expect([...a.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(a[9]).toBe(0xff);
    expect(new Uint8Array(gunzipSync(a))).toEqual(UBYTE_2x3);
  });
});

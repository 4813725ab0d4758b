import { readFileSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { FbnetError } from '@fbnet/core';
import { gunzipBounded, gunzipHead, GunzipTooLarge, isGzip } from './gzip.ts';
import { IDX_DTYPES, dimsSize, dtypeFromCode, hex2, type IdxArray, type IdxDtype } from './idx-format.ts';

export interface ReadIdxOptions<D extends IdxDtype = IdxDtype> {
  /** Required element type; any other dtype byte is DATA_CORRUPT. */
  dtype?: D;
  /** Required number of dimensions. */
  rank?: number;
  /** Name used in error messages when `source` is a buffer (a path names itself). */
  name?: string;
}

/** Read the bytes of a file, turning fs errors into FILE_INVALID that names the path. */
export function readFileBytes(path: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new FbnetError('FILE_INVALID', `${path}: cannot read file: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Decode an IDX file, plain or gzip-compressed (detected by the gzip magic bytes, not by the
 * file name, so a mis-named file still reads). Every malformation is an
 * FbnetError('DATA_CORRUPT') whose message starts with the file name and says what is wrong.
 */
export function readIdx<D extends IdxDtype = IdxDtype>(
  source: string | Uint8Array,
  options: ReadIdxOptions<D> = {},
): IdxArray<D> {
  const name = typeof source === 'string' ? source : (options.name ?? '<buffer>');
  const corrupt = (what: string, cause?: unknown) =>
    new FbnetError('DATA_CORRUPT', `${name}: ${what}`, cause === undefined ? undefined : { cause });

  const raw = typeof source === 'string' ? readFileBytes(source) : source;
  const gz = isGzip(raw);
  const gunzipError = (e: unknown) => corrupt(`bad gzip stream (corrupt or truncated): ${(e as Error).message}`, e);
  let bytes = raw;
  if (gz) {
    // Only the header is inflated first; it says how large the content must be, and the whole
    // stream is then inflated with that as a hard limit (a 3 MB gzip must not become 3 GB).
    try {
      bytes = gunzipHead(raw, 4 + 4 * 255);
    } catch (e) {
      throw gunzipError(e);
    }
  }

  if (bytes.length < 4) throw corrupt(`truncated header: ${bytes.length} byte(s), an IDX header needs at least 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw corrupt(`bad magic number: first two bytes are ${hex2(bytes[0])} ${hex2(bytes[1])}, an IDX file starts with 0x00 0x00`);
  }
  const dtype = dtypeFromCode(bytes[2]);
  if (dtype === undefined) throw corrupt(`unknown dtype byte ${hex2(bytes[2])} (IDX knows 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e)`);
  if (options.dtype !== undefined && dtype !== options.dtype) {
    throw corrupt(
      `wrong dtype: expected ${options.dtype} (${hex2(IDX_DTYPES[options.dtype].code)}), found ${dtype} (${hex2(bytes[2])})`,
    );
  }
  const rank = bytes[3];
  if (rank === 0) throw corrupt('rank 0: an IDX array needs at least one dimension');
  if (options.rank !== undefined && rank !== options.rank) {
    throw corrupt(`wrong rank: expected ${options.rank} dimension(s), found ${rank}`);
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw corrupt(`truncated header: rank ${rank} needs ${headerBytes} header bytes, file has ${bytes.length}`);
  }

  const head = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(head.getUint32(4 + 4 * i, false));
  const count = dimsSize(dims);
  const info = IDX_DTYPES[dtype];
  const need = count * info.bytes;
  if (headerBytes + need > bufferConstants.MAX_LENGTH) {
    throw corrupt(`dims [${dims.join(', ')}] describe ${headerBytes + need} bytes, more than one buffer can hold`);
  }
  if (gz) {
    try {
      bytes = gunzipBounded(raw, headerBytes + need);
    } catch (e) {
      if (e instanceof GunzipTooLarge) {
        throw corrupt(`gzip content is larger than the ${headerBytes + need} bytes its header describes (dims [${dims.join(', ')}]); stopped inflating there`);
      }
      throw gunzipError(e);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const have = bytes.length - headerBytes;
  if (have < need) {
    throw corrupt(`data truncated: dims [${dims.join(', ')}] need ${need} byte(s) of ${dtype} data, found ${have}`);
  }
  if (have > need) {
    throw corrupt(`trailing garbage: ${have - need} byte(s) after the ${need} data byte(s) that dims [${dims.join(', ')}] describe`);
  }

  const data = info.make(count);
  if (dtype === 'ubyte') {
    (data as Uint8Array).set(bytes.subarray(headerBytes));
  } else {
    // IDX stores multi-byte elements big-endian; typed arrays use the host's (little-endian) order.
    const get = elementGetter(dtype, view);
    for (let i = 0; i < count; i++) data[i] = get(headerBytes + i * info.bytes);
  }
  return { dtype, dims, data } as IdxArray<D>;
}

function elementGetter(dtype: IdxDtype, v: DataView): (offset: number) => number {
  switch (dtype) {
    case 'ubyte':
      return (o) => v.getUint8(o);
    case 'byte':
      return (o) => v.getInt8(o);
    case 'short':
      return (o) => v.getInt16(o, false);
    case 'int':
      return (o) => v.getInt32(o, false);
    case 'float':
      return (o) => v.getFloat32(o, false);
    case 'double':
      return (o) => v.getFloat64(o, false);
  }
}

import { FbnetError } from '@fbnet/core';
import { IDX_DTYPES, dimsSize, type IdxArray } from './idx-format.ts';

const MAX_UINT32 = 0xffffffff;

/** Encode an array as IDX bytes (uncompressed); the inverse of `readIdx`. */
export function encodeIdx(arr: IdxArray): Uint8Array {
  const { dtype, dims, data } = arr;
  const info = IDX_DTYPES[dtype];
  if (info === undefined) throw new FbnetError('USAGE', `encodeIdx: unknown dtype "${String(dtype)}"`);
  if (dims.length < 1 || dims.length > 255) {
    throw new FbnetError('USAGE', `encodeIdx: rank must be 1..255, got ${dims.length}`);
  }
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > MAX_UINT32) {
      throw new FbnetError('USAGE', `encodeIdx: every dim must be an integer in 0..2^32-1, got [${dims.join(', ')}]`);
    }
  }
  const count = dimsSize(dims);
  if (data.length !== count) {
    throw new FbnetError('USAGE', `encodeIdx: dims [${dims.join(', ')}] hold ${count} element(s), data has ${data.length}`);
  }

  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * info.bytes);
  const view = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  if (dtype === 'ubyte') {
    out.set(data as Uint8Array, header);
    return out;
  }
  for (let i = 0; i < count; i++) {
    const o = header + i * info.bytes;
    const x = data[i];
    switch (dtype) {
      case 'byte':
        view.setInt8(o, x);
        break;
      case 'short':
        view.setInt16(o, x, false);
        break;
      case 'int':
        view.setInt32(o, x, false);
        break;
      case 'float':
        view.setFloat32(o, x, false);
        break;
      case 'double':
        view.setFloat64(o, x, false);
        break;
    }
  }
  return out;
}

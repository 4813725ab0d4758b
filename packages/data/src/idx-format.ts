/**
 * The IDX format (LeCun's MNIST format, also used by Fashion-MNIST):
 *
 *   bytes 0-1   0x00 0x00
 *   byte  2     dtype code (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double)
 *   byte  3     rank (number of dimensions)
 *   then        rank × uint32 sizes, big-endian
 *   then        the elements, row-major, each big-endian
 *
 * Nothing may follow the last element: a longer file is as corrupt as a shorter one.
 */
export type IdxDtype = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

export interface IdxDataMap {
  ubyte: Uint8Array;
  byte: Int8Array;
  short: Int16Array;
  int: Int32Array;
  float: Float32Array;
  double: Float64Array;
}

/** A decoded IDX array; `dtype` discriminates the type of `data`. */
export type IdxArray<D extends IdxDtype = IdxDtype> = D extends IdxDtype
  ? { dtype: D; dims: number[]; data: IdxDataMap[D] }
  : never;

interface DtypeInfo {
  code: number;
  bytes: number;
  make: (n: number) => IdxDataMap[IdxDtype];
}

export const IDX_DTYPES: Readonly<Record<IdxDtype, DtypeInfo>> = {
  ubyte: { code: 0x08, bytes: 1, make: (n) => new Uint8Array(n) },
  byte: { code: 0x09, bytes: 1, make: (n) => new Int8Array(n) },
  short: { code: 0x0b, bytes: 2, make: (n) => new Int16Array(n) },
  int: { code: 0x0c, bytes: 4, make: (n) => new Int32Array(n) },
  float: { code: 0x0d, bytes: 4, make: (n) => new Float32Array(n) },
  double: { code: 0x0e, bytes: 8, make: (n) => new Float64Array(n) },
};

export function dtypeFromCode(code: number): IdxDtype | undefined {
  for (const [name, info] of Object.entries(IDX_DTYPES)) if (info.code === code) return name as IdxDtype;
  return undefined;
}

export function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** Product of dims; the element count of an array with these dims. */
export function dimsSize(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

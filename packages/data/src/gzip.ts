import { constants, gunzipSync, gzipSync } from 'node:zlib';

/** gzip streams start with the two magic bytes 1f 8b (RFC 1952 §2.3.1). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Byte offset of the OS field in a gzip header (RFC 1952 §2.3). */
const GZIP_OS_OFFSET = 9;
/** RFC 1952 OS value "unknown". */
const GZIP_OS_UNKNOWN = 0xff;

/**
 * gzip with a reproducible header, so regenerating a file gives the same bytes and the same
 * sha256: level 9, mtime 0 (zlib's default when no header is supplied), no file name, and the
 * OS byte forced to "unknown" because zlib writes the OS it was *compiled* for.
 * The deflate stream itself is only as stable as the zlib bundled with Node.
 */
export function gzipDeterministic(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(gzipSync(bytes, { level: 9 }));
  out[4] = out[5] = out[6] = out[7] = 0;
  out[GZIP_OS_OFFSET] = GZIP_OS_UNKNOWN;
  return out;
}


/** Deflate's best case is about 1032:1 (RFC 1951 length/distance codes), so n input bytes never give more. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * The first `want` bytes of a gzip stream's content (fewer when the content is shorter),
 * inflating only a prefix of the input: a gzip bomb costs at most ~1032× that prefix.
 */
export function gunzipHead(bytes: Uint8Array, want: number): Uint8Array {
  let out: Uint8Array = new Uint8Array(0);
  for (let take = 256; ; take *= 16) {
    const prefix = bytes.subarray(0, Math.min(take, bytes.length));
    const b = gunzipSync(prefix, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: prefix.length * MAX_DEFLATE_RATIO + 1024 });
    out = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (out.length >= want || prefix.length === bytes.length) return out.subarray(0, Math.min(want, out.length));
  }
}

/** Thrown by `gunzipBounded` when the content exceeds the size the caller expects. */
export class GunzipTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`inflates to more than ${limit} bytes`);
  }
}

/**
 * gunzip that stops as soon as the output passes `maxBytes` (zlib inflates chunk by chunk and
 * gives up there), so memory is bounded by what the caller expects, not by what the file claims.
 */
export function gunzipBounded(bytes: Uint8Array, maxBytes: number): Uint8Array {
  try {
    const b = gunzipSync(bytes, { maxOutputLength: Math.max(1, maxBytes) });
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new GunzipTooLarge(maxBytes);
    throw e;
  }
}

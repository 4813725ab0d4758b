import { gunzipSync, gzipSync } from 'node:zlib';

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

/** gunzip; throws whatever zlib throws (callers turn it into a DATA_CORRUPT that names the file). */
export function gunzip(bytes: Uint8Array): Uint8Array {
  const b = gunzipSync(bytes);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

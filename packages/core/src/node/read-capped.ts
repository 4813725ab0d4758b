import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FbnetError } from '../errors.ts';

/**
 * Size caps for files a user hands us (a hostile 50 MB arch def would otherwise take a minute
 * and gigabytes to be refused). Far above any real file: published arch defs and search spaces
 * are a few KB, a latency table of an ImageNet space a few hundred KB.
 */
export const FILE_SIZE_CAPS = {
  archDef: 4 * 1024 * 1024,
  searchSpace: 4 * 1024 * 1024,
  latencyTable: 32 * 1024 * 1024,
  kernelPlan: 16 * 1024 * 1024,
  runJson: 64 * 1024 * 1024,
  checkpointHeader: 64 * 1024 * 1024,
} as const;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

const tooBig = (what: string, path: string, size: string, cap: number) =>
  new FbnetError('FILE_INVALID', `${what} ${path} is ${size}, over the ${formatBytes(cap)} cap for ${what}s`);

/**
 * Read a whole file, refusing one larger than `maxBytes` before reading it (stat first) and
 * while reading it (a device or a growing file can lie about its size). Errors are
 * FILE_INVALID and name the file, what it should be, and the cap.
 */
export function readFileCapped(path: string, what: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'ENOENT (no such file)' : err.code === 'EISDIR' ? 'is a directory' : (err.code ?? err.message);
    throw new FbnetError('FILE_INVALID', `cannot read ${what} ${path}: ${why}`, { cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new FbnetError('FILE_INVALID', `cannot read ${what} ${path}: is a directory`);
    if (st.size > maxBytes) throw tooBig(what, path, formatBytes(st.size), maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw new FbnetError('FILE_INVALID', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e });
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooBig(what, path, `more than ${formatBytes(maxBytes)}`, maxBytes);
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** `readFileCapped` as UTF-8 text. */
export function readTextCapped(path: string, what: string, maxBytes: number): string {
  return readFileCapped(path, what, maxBytes).toString('utf8');
}

/** `readTextCapped` then JSON.parse; a parse error is FILE_INVALID naming the file. */
export function readJsonCapped(path: string, what: string, maxBytes: number): unknown {
  const text = readTextCapped(path, what, maxBytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FbnetError('FILE_INVALID', `${what} ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

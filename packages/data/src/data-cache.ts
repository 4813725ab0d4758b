import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ImageDataset } from './dataset.ts';
import type { FolderListing, FolderSplitName } from './image-folder.ts';
import { FOLDER_SPLITS } from './image-folder.ts';
import { sha256Hex } from './sha256.ts';

/** Bumped whenever decoding or resizing changes, so an old cache is never read as a new one. */
export const DATA_CACHE_VERSION = 1;
const MAGIC = 'FBNETDC1';

/** `$XDG_CACHE_HOME/fbnet/data`, else `~/.cache/fbnet/data`. */
export function defaultDataCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'fbnet', 'data');
}

/**
 * Cache key of a folder's decoded form: the sha256 of every listed file's relative path, size and
 * mtime, its label and split, the class names, the requested size and the cache version. Reading
 * file contents would cost as much as decoding; a file rewritten in place changes its mtime.
 */
export function dataCacheKey(listing: FolderListing, size: number | undefined): string {
  const files = FOLDER_SPLITS.map((s) =>
    (listing.splits[s] ?? []).map((f) => [f.path.slice(listing.root.length), f.bytes, f.mtimeMs, f.label]),
  );
  const key = { v: DATA_CACHE_VERSION, size: size ?? null, classes: listing.classNames, files };
  return sha256Hex(new TextEncoder().encode(JSON.stringify(key)));
}

type Splits = Partial<Record<FolderSplitName, ImageDataset>>;

interface Header {
  version: number;
  key: string;
  classNames: string[];
  splits: { name: FolderSplitName; count: number; height: number; width: number; channels: number }[];
}

/** The cached data sets for `key`, or undefined when there is none or it does not read back whole (then it is decoded again). */
export function readDataCache(dir: string, key: string): Splits | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(join(dir, `${key}.bin`));
  } catch {
    return undefined;
  }
  try {
    if (buf.toString('latin1', 0, 8) !== MAGIC) return undefined;
    const len = buf.readUInt32LE(8);
    const h = JSON.parse(buf.toString('utf8', 12, 12 + len)) as Header;
    if (h.version !== DATA_CACHE_VERSION || h.key !== key) return undefined;
    let at = 12 + len;
    const out: Splits = {};
    for (const s of h.splits) {
      const size = s.count * s.height * s.width * s.channels;
      if (at + size + s.count > buf.length) return undefined;
      const images = new Uint8Array(buf.subarray(at, at + size));
      const labels = new Uint8Array(buf.subarray(at + size, at + size + s.count));
      at += size + s.count;
      const { count, height, width, channels } = s;
      out[s.name] = { images, labels, count, height, width, channels, classNames: h.classNames };
    }
    return at === buf.length ? out : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Store decoded data sets under `key` (written to a temporary file and renamed, so a reader
 * never sees half a file). Returns the path, or undefined when the folder cannot be written:
 * a cache that cannot be written only costs the next run a decode.
 */
export function writeDataCache(dir: string, key: string, splits: Splits): string | undefined {
  const present = FOLDER_SPLITS.filter((s) => splits[s]);
  const first = splits[present[0]]!;
  const header: Header = {
    version: DATA_CACHE_VERSION,
    key,
    classNames: [...first.classNames],
    splits: present.map((name) => {
      const d = splits[name]!;
      return { name, count: d.count, height: d.height, width: d.width, channels: d.channels };
    }),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(12);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, 8);
  const parts = [head, json, ...present.flatMap((s) => [splits[s]!.images, splits[s]!.labels])];
  const path = join(dir, `${key}.bin`);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, Buffer.concat(parts));
    renameSync(tmp, path);
    return path;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    return undefined;
  }
}

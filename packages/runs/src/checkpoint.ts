import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FbnetError } from '@fbnet/core';
import { FILE_SIZE_CAPS, formatBytes } from '@fbnet/core/node';
import { writeFileAtomic } from './atomic.ts';

/** Named float32 arrays with shapes (parameters, optimizer slots, EMA weights). */
export type TensorMap = Record<string, { shape: number[]; data: Float32Array }>;

export interface Checkpoint<M = unknown> {
  meta: M;
  tensors: TensorMap;
}

const MAGIC = 'FBNETCKPT2';
const OLD_MAGIC = 'FBNETCKPT1';
const DIGEST_BYTES = 32;
const PREFIX = MAGIC.length + 4;

interface IndexEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

/**
 * One self-contained, checksummed file: MAGIC, u32 header length, JSON header
 * ({ meta, tensors: [{name, shape, offset, length}] }), raw float32 data, then the sha256 of
 * everything before it — header included, so an edited epoch or shape is caught like a flipped
 * weight. Written atomically, so a kill at any point leaves the previous checkpoint readable.
 */
export function saveCheckpoint<M>(path: string, ckpt: Checkpoint<M>): void {
  const entries = Object.entries(ckpt.tensors);
  let offset = 0;
  const index: IndexEntry[] = entries.map(([name, t]) => {
    const e = { name, shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  const body = new Float32Array(offset);
  entries.forEach(([, t], i) => body.set(t.data, index[i].offset));
  const header = Buffer.from(JSON.stringify({ meta: ckpt.meta, tensors: index }), 'utf8');
  const out = Buffer.alloc(PREFIX + header.length + body.byteLength + DIGEST_BYTES);
  out.write(MAGIC, 0, 'ascii');
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, PREFIX);
  Buffer.from(body.buffer, body.byteOffset, body.byteLength).copy(out, PREFIX + header.length);
  const end = out.length - DIGEST_BYTES;
  createHash('sha256').update(out.subarray(0, end)).digest().copy(out, end);
  writeFileAtomic(path, out);
}

function readAt(fd: number, length: number, position: number): Buffer {
  const b = Buffer.alloc(length);
  let off = 0;
  while (off < length) {
    const n = readSync(fd, b, off, length - off, position + off);
    if (n === 0) break;
    off += n;
  }
  return b.subarray(0, off);
}

function checkIndex(tensors: unknown, bad: (why: string) => FbnetError): IndexEntry[] {
  if (!Array.isArray(tensors)) throw bad('header has no "tensors" list');
  const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  tensors.forEach((t: Partial<IndexEntry>, i) => {
    const ok = t && typeof t.name === 'string' && Array.isArray(t.shape) && t.shape.every(isCount) && isCount(t.offset) && isCount(t.length);
    if (!ok) throw bad(`header "tensors"[${i}] is not {name, shape, offset, length}`);
  });
  return tensors as IndexEntry[];
}

export function loadCheckpoint<M = unknown>(path: string): Checkpoint<M> {
  const bad = (why: string) => new FbnetError('CHECKPOINT', `checkpoint ${path} is corrupt: ${why}`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new FbnetError('CHECKPOINT', `cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
  let buf: Buffer;
  let hlen: number;
  try {
    const size = fstatSync(fd).size;
    const head = readAt(fd, PREFIX, 0);
    const magic = head.toString('ascii', 0, MAGIC.length);
    if (magic === OLD_MAGIC) {
      throw new FbnetError('CHECKPOINT', `checkpoint ${path} has the old format (${OLD_MAGIC}, whose checksum left the header out); it cannot be resumed — delete it to start that stage afresh`);
    }
    if (head.length < PREFIX || magic !== MAGIC) throw bad('not an fbnet checkpoint (bad magic)');
    hlen = head.readUInt32LE(MAGIC.length);
    // The header is read whole before anything is checked: cap it first (a forged length would allocate gigabytes).
    if (hlen > FILE_SIZE_CAPS.checkpointHeader) throw bad(`header length ${formatBytes(hlen)} is over the ${formatBytes(FILE_SIZE_CAPS.checkpointHeader)} cap`);
    if (PREFIX + hlen + DIGEST_BYTES > size) throw bad('header runs past the end of the file');
    buf = readAt(fd, size, 0);
  } finally {
    closeSync(fd);
  }
  let header: { meta: M; tensors: unknown };
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + hlen));
  } catch {
    throw bad('header is not valid JSON');
  }
  if (!header || typeof header !== 'object' || !('meta' in header)) throw bad('header has no "meta"');
  const index = checkIndex(header.tensors, bad);
  const start = PREFIX + hlen;
  const bodyLen = buf.length - DIGEST_BYTES - start;
  const total = index.reduce((s, t) => s + t.length, 0);
  if (bodyLen !== total * 4) throw bad(`data is ${bodyLen} bytes, header says ${total * 4}`);
  const digest = createHash('sha256').update(buf.subarray(0, buf.length - DIGEST_BYTES)).digest();
  if (!digest.equals(buf.subarray(buf.length - DIGEST_BYTES))) throw bad('checksum mismatch (header or data changed since it was written)');
  const body = new Uint8Array(bodyLen);
  body.set(buf.subarray(start, start + bodyLen));
  const floats = new Float32Array(body.buffer);
  const tensors: TensorMap = {};
  for (const t of index) {
    if (t.offset + t.length > total) throw bad(`tensor "${t.name}" runs past the data`);
    tensors[t.name] = { shape: t.shape, data: floats.slice(t.offset, t.offset + t.length) };
  }
  return { meta: header.meta, tensors };
}

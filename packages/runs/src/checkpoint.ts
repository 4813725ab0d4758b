import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FbnetError } from '@fbnet/core';
import { writeFileAtomic } from './atomic.ts';

/** Named float32 arrays with shapes (parameters, optimizer slots, EMA weights). */
export type TensorMap = Record<string, { shape: number[]; data: Float32Array }>;

export interface Checkpoint<M = unknown> {
  meta: M;
  tensors: TensorMap;
}

const MAGIC = 'FBNETCKPT1';

/**
 * One self-contained, checksummed file: MAGIC, u32 header length, JSON header
 * ({ meta, tensors: [{name, shape, offset, length}], sha256 }), then raw float32 data.
 * Written atomically, so a kill at any point leaves the previous checkpoint readable.
 */
export function saveCheckpoint<M>(path: string, ckpt: Checkpoint<M>): void {
  const entries = Object.entries(ckpt.tensors);
  let offset = 0;
  const index = entries.map(([name, t]) => {
    const e = { name, shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  const body = new Float32Array(offset);
  entries.forEach(([, t], i) => body.set(t.data, index[i].offset));
  const bodyBytes = new Uint8Array(body.buffer);
  const sha256 = createHash('sha256').update(bodyBytes).digest('hex');
  const header = Buffer.from(JSON.stringify({ meta: ckpt.meta, tensors: index, sha256 }), 'utf8');
  const out = Buffer.alloc(MAGIC.length + 4 + header.length + bodyBytes.length);
  out.write(MAGIC, 0, 'ascii');
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  Buffer.from(bodyBytes.buffer, bodyBytes.byteOffset, bodyBytes.byteLength).copy(out, MAGIC.length + 4 + header.length);
  writeFileAtomic(path, out);
}

export function loadCheckpoint<M = unknown>(path: string): Checkpoint<M> {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new FbnetError('CHECKPOINT', `cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
  const bad = (why: string) => new FbnetError('CHECKPOINT', `checkpoint ${path} is corrupt: ${why}`);
  if (buf.length < MAGIC.length + 4 || buf.toString('ascii', 0, MAGIC.length) !== MAGIC) throw bad('not an fbnet checkpoint (bad magic)');
  const hlen = buf.readUInt32LE(MAGIC.length);
  if (MAGIC.length + 4 + hlen > buf.length) throw bad('header runs past the end of the file');
  let header: { meta: M; tensors: { name: string; shape: number[]; offset: number; length: number }[]; sha256: string };
  try {
    header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + hlen));
  } catch {
    throw bad('header is not valid JSON');
  }
  const start = MAGIC.length + 4 + hlen;
  const bodyLen = buf.length - start;
  const total = header.tensors.reduce((s, t) => s + t.length, 0);
  if (bodyLen !== total * 4) throw bad(`data is ${bodyLen} bytes, header says ${total * 4}`);
  const body = new Uint8Array(bodyLen);
  body.set(buf.subarray(start));
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) throw bad('checksum mismatch');
  const floats = new Float32Array(body.buffer);
  const tensors: TensorMap = {};
  for (const t of header.tensors) tensors[t.name] = { shape: t.shape, data: floats.slice(t.offset, t.offset + t.length) };
  return { meta: header.meta, tensors };
}

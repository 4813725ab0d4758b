import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { RunDir } from './run-dir.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'fbnet-runs-'));

describe('checkpoints', () => {
  it('round-trips meta and tensors exactly', () => {
    const p = join(tmp(), 'a.ckpt');
    const data = Float32Array.from([1.5, -2, 3.25, Math.PI]);
    saveCheckpoint(p, { meta: { epoch: 3, rng: [1, 2, 3, 4] }, tensors: { w: { shape: [2, 2], data }, b: { shape: [1], data: Float32Array.from([7]) } } });
    const c = loadCheckpoint<{ epoch: number }>(p);
    expect(c.meta.epoch).toBe(3);
    expect(Array.from(c.tensors.w.data)).toEqual(Array.from(data));
    expect(c.tensors.w.shape).toEqual([2, 2]);
    expect(Array.from(c.tensors.b.data)).toEqual([7]);
  });
  it('detects corruption: flipped byte, truncation, foreign file', () => {
    const dir = tmp();
    const p = join(dir, 'a.ckpt');
    saveCheckpoint(p, { meta: {}, tensors: { w: { shape: [3], data: Float32Array.from([1, 2, 3]) } } });
    const good = readFileSync(p);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 2] ^= 0xff;
    writeFileSync(p, flipped);
    expect(() => loadCheckpoint(p)).toThrow(/checksum mismatch/);
    writeFileSync(p, good.subarray(0, good.length - 3));
    expect(() => loadCheckpoint(p)).toThrow(/data is 9 bytes, header says 12/);
    writeFileSync(p, 'hello');
    expect(() => loadCheckpoint(p)).toThrow(/bad magic/);
  });
});

describe('RunDir', () => {
  it('creates, logs events, reopens; refuses to overwrite a run', () => {
    const dir = join(tmp(), 'r1');
    const r = RunDir.create(dir, { command: 'test', seed: 1, options: { a: 1 } });
    r.appendEvent({ type: 'x/happened' });
    r.appendEvent({ type: 'y/happened' });
    expect(() => RunDir.create(dir, { command: 'test', seed: 1, options: {} })).toThrow(/already holds a run/);
    const again = RunDir.open(dir);
    expect(again.config.options).toEqual({ a: 1 });
    expect(again.readEvents().map((e) => e.type)).toEqual(['x/happened', 'y/happened']);
  });
  it('drops a torn last event line', () => {
    const dir = join(tmp(), 'r2');
    const r = RunDir.create(dir, { command: 'test', seed: 1, options: {} });
    r.appendEvent({ type: 'a/happened' });
    writeFileSync(r.file('events.jsonl'), readFileSync(r.file('events.jsonl'), 'utf8') + '{"type":"b/hap');
    expect(r.readEvents().map((e) => e.type)).toEqual(['a/happened']);
  });
  it('refuses a directory that is not a run', () => {
    expect(() => RunDir.open(tmp())).toThrow(/not a run directory/);
  });
});

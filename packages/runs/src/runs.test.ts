import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FbnetError } from '@fbnet/core';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { LOCK_FILE } from './lock.ts';
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

describe('checkpoint checksum covers the header', () => {
  const expectCorrupt = (p: string, why: RegExp) => {
    let err: unknown;
    try {
      loadCheckpoint(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FbnetError);
    expect((err as FbnetError).code).toBe('CHECKPOINT');
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).toMatch(why);
  };
  it('an edited epoch in the header is caught like a flipped weight', () => {
    const p = join(tmp(), 'train.ckpt');
    saveCheckpoint(p, { meta: { epoch: 1, step: 20 }, tensors: { w: { shape: [2], data: Float32Array.from([1, 2]) } } });
    const text = readFileSync(p).toString('latin1');
    expect(text).toContain('"epoch":1');
    writeFileSync(p, Buffer.from(text.replace('"epoch":1', '"epoch":7'), 'latin1'));
    expectCorrupt(p, /checksum mismatch/);
    // so is an edited shape
    saveCheckpoint(p, { meta: {}, tensors: { w: { shape: [2, 1], data: Float32Array.from([1, 2]) } } });
    writeFileSync(p, Buffer.from(readFileSync(p).toString('latin1').replace('[2,1]', '[1,2]'), 'latin1'));
    expectCorrupt(p, /checksum mismatch/);
  });
  it('a header without "tensors", a huge header length and the old format get errors naming the file', () => {
    const dir = tmp();
    const file = (name: string, header: string, hlen = Buffer.byteLength(header), magic = 'FBNETCKPT2') => {
      const p = join(dir, name);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(hlen);
      writeFileSync(p, Buffer.concat([Buffer.from(magic, 'ascii'), len, Buffer.from(header), Buffer.alloc(32)]));
      return p;
    };
    expectCorrupt(file('a.ckpt', '{"meta":{}}'), /header has no "tensors" list/);
    expectCorrupt(file('b.ckpt', '{"meta":{},"tensors":[{"name":"w"}]}'), /"tensors"\[0\] is not \{name, shape, offset, length\}/);
    expectCorrupt(file('c.ckpt', '{}', 0xfffffff0), /header length 4096 MiB is over the 64 MiB cap/);
    expect(() => loadCheckpoint(file('d.ckpt', '{"meta":{},"tensors":[],"sha256":""}', undefined, 'FBNETCKPT1'))).toThrow(/old format/);
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

const child = fileURLToPath(new URL('./_lock-child.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A process holding `dir`'s lock; `line()` resolves with its next stdout line. */
function holder(dir: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(proc);
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => (waiting.length ? waiting.shift()!(l) : lines.push(l)));
  const line = () => new Promise<string>((r) => (lines.length ? r(lines.shift()!) : waiting.push(r)));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return { proc, line, exited, send: (s: string) => proc.stdin!.write(s + '\n') };
}

describe('RunDir lock', () => {
  it('refuses a second process while the first holds the run, naming the holder; free after close', async () => {
    const dir = join(tmp(), 'r');
    RunDir.create(dir, { command: 'search v1', seed: 1, options: {} }).close();
    const h = holder(dir);
    expect(await h.line()).toBe(`locked ${h.proc.pid}`);
    const lock = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    expect(lock).toMatchObject({ pid: h.proc.pid, host: hostname(), command: 'search v1' });
    expect(Date.parse(lock.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    const refused = new RegExp(`run directory ${dir} is in use by process ${h.proc.pid} on ${hostname()} \\(search v1\\)`);
    expect(() => RunDir.open(dir)).toThrow(refused);
    expect(() => RunDir.create(dir, { command: 'x', seed: 1, options: {} })).toThrow(refused);
    // a reader that writes nothing may look
    expect(RunDir.open(dir, { lock: false }).config.command).toBe('search v1');
    h.send('close');
    expect(await h.line()).toBe('released');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const mine = RunDir.open(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    mine.close();
    h.send('exit');
    await h.exited;
  }, 30_000);

  it('takes over the stale lock of a holder killed with -9, and a holder that exits releases it', async () => {
    const dir = join(tmp(), 'r');
    RunDir.create(dir, { command: 'train', seed: 1, options: {} }).close();
    const a = holder(dir);
    await a.line();
    a.proc.kill('SIGKILL');
    await a.exited;
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(a.proc.pid);
    const run = RunDir.open(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    run.close();
    const b = holder(dir);
    await b.line();
    b.send('exit');
    await b.exited;
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 30_000);

  it('is re-entrant within a process and released when the last RunDir closes', () => {
    const dir = join(tmp(), 'r');
    const a = RunDir.create(dir, { command: 'train', seed: 1, options: {} });
    const b = RunDir.open(dir);
    a.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    b.close();
    b.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('keeps file names inside the run', () => {
    const run = RunDir.create(join(tmp(), 'r'), { command: 'train', seed: 1, options: {} });
    expect(() => run.writeJson('../escape.json', {})).toThrow(/outside/);
    expect(() => run.saveCheckpoint('../../x', { meta: {}, tensors: {} })).toThrow(/outside/);
    writeFileSync(run.file('search.json'), '{"arch": ');
    expect(() => run.readJson('search.json')).toThrow(`run file ${run.file('search.json')} is not valid JSON`);
    run.close();
  });
});

/** Resident buffers, copy semantics, growth, and a flat heap over a long loop of calls. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeapArray, loadNativeKernels, type NativeKernels } from '../src/index.ts';

describe('heap', () => {
  let k: NativeKernels;
  beforeAll(async () => {
    k = await loadNativeKernels({ threads: 2 });
  });
  afterAll(async () => {
    await k.dispose();
  });

  const p = { n: 4, h: 14, w: 14, cin: 16, cout: 48, kh: 1, kw: 1 };
  const x = Float32Array.from({ length: 4 * 14 * 14 * 16 }, (_, i) => Math.sin(i));
  const w = Float32Array.from({ length: 16 * 48 }, (_, i) => Math.cos(i));

  it('resident inputs and outputs give the same result as the copying API', () => {
    const ref = k.conv2d(x, w, p);
    const hx = k.heap.fromArray(x), hw = k.heap.fromArray(w), hy = k.heap.alloc(ref.length);
    try {
      const r = k.conv2d(hx, hw, p, hy);
      expect(r).toBe(hy);
      expect(r).toBeInstanceOf(HeapArray);
      expect(Array.from(hy.array)).toEqual(Array.from(ref));
      // mixed: resident input, ordinary output array
      const out = new Float32Array(ref.length);
      expect(k.conv2d(hx, w, p, out)).toBe(out);
      expect(Array.from(out)).toEqual(Array.from(ref));
    } finally {
      hx.dispose();
      hw.dispose();
      hy.dispose();
    }
  });

  it('does not mutate or alias caller arrays', () => {
    const xc = x.slice();
    const y = k.conv2d(xc, w, p);
    expect(Array.from(xc)).toEqual(Array.from(x));
    expect(y.buffer).not.toBe(xc.buffer);
    expect(y.buffer instanceof SharedArrayBuffer).toBe(false);
  });

  it('rejects wrong lengths and bad shapes without leaking', () => {
    const before = k.heap.stats().liveBlocks;
    expect(() => k.conv2d(x.subarray(1), w, p)).toThrow(/x has/);
    expect(() => k.conv2d(x, w, { ...p, groups: 3 })).toThrow(/divisible by groups/);
    expect(() => k.conv2d(x, w, { ...p, kh: 30 })).toThrow(/empty conv output/);
    expect(() => k.batchNormActTrain(x, w, w, { n: 4, h: 14, w: 14, c: 16, act: 'gelu' as never })).toThrow(/unknown activation/);
    expect(k.heap.stats().liveBlocks).toBe(before);
  });

  it('use after dispose of a HeapArray throws', () => {
    const h = k.heap.alloc(8);
    h.dispose();
    expect(() => h.array).toThrow(/after dispose/);
    h.dispose(); // idempotent
  });

  it('grows the memory for large buffers and keeps old views usable', () => {
    const small = k.heap.fromArray(new Float32Array([1, 2, 3]));
    const before = k.heap.stats().memoryBytes;
    const big = k.heap.alloc(64 * 1024 * 1024 / 4); // 64 MiB
    try {
      expect(k.heap.stats().memoryBytes).toBeGreaterThan(before);
      big.array.fill(2);
      expect(big.array[big.length - 1]).toBe(2);
      expect(Array.from(small.array)).toEqual([1, 2, 3]);
    } finally {
      big.dispose();
      small.dispose();
    }
  });

  it('keeps heap usage flat over a long loop of kernel calls', () => {
    const bn = { n: 4, h: 14, w: 14, c: 48, act: 'relu6' as const };
    const g = new Float32Array(48).fill(1), b = new Float32Array(48);
    const step = () => {
      const y = k.conv2d(x, w, p);
      const f = k.batchNormActTrain(y, g, b, bn);
      const gr = k.batchNormActGrad(f.y, y, g, b, f.mean, f.invStd, bn);
      k.conv2dBackpropFilter(x, gr.dx, p);
      k.conv2dBackpropInput(gr.dx, w, p);
      k.depthwiseConv2dBackpropFilter(y, y, { n: 4, h: 14, w: 14, c: 48, kh: 3, kw: 3, padH: 1, padW: 1 });
      const h = k.heap.fromArray(y);
      k.add(h, y, h);
      h.dispose();
    };
    for (let i = 0; i < 5; i++) step();
    const s0 = k.heap.stats();
    for (let i = 0; i < 300; i++) step();
    const s1 = k.heap.stats();
    expect(s1.liveBlocks).toBe(s0.liveBlocks);
    expect(s1.bytesInUse).toBe(s0.bytesInUse);
    expect(s1.heapBytes).toBe(s0.heapBytes);
    expect(s1.memoryBytes).toBe(s0.memoryBytes);
  });
});

describe('lifecycle', () => {
  it('dispose stops the pool; later calls throw', async () => {
    const k = await loadNativeKernels({ threads: 3 });
    expect(k.threads).toBe(3);
    await k.dispose();
    expect(k.capabilities().poolThreads).toBe(0);
    expect(() => k.add(new Float32Array(4), new Float32Array(4))).toThrow(/after dispose/);
    await k.dispose(); // idempotent
  });

  it('lets the process exit without dispose()', () => {
    const script = fileURLToPath(new URL('./scripts/no-dispose.mts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error, 'process did not exit').toBeUndefined();
    expect(r.stdout.trim()).toBe('ok 3');
    expect(r.status).toBe(0);
  });

  it('keeps the process alive through an awaited dispose()', () => {
    const script = fileURLToPath(new URL('./scripts/no-dispose.mts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, 'dispose'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error, 'process did not exit').toBeUndefined();
    expect(r.stdout.trim().split('\n')).toEqual(['ok 3', 'disposed']);
    expect(r.status).toBe(0);
  });

  it('rejects a bad thread count', async () => {
    await expect(loadNativeKernels({ threads: 0 })).rejects.toThrow(/threads must be >= 1/);
  });

  it('threads=1 starts no workers', async () => {
    const k = await loadNativeKernels({ threads: 1 });
    expect(k.threads).toBe(1);
    expect(k.runtime.exports.fb_pool_ready()).toBe(0);
    await k.dispose();
  });
});

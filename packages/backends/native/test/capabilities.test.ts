/** capabilities() reports instead of throwing, also when the host lacks SharedArrayBuffer. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadNativeKernels, nativeCapabilities } from '../src/index.ts';

describe('nativeCapabilities', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('reports a usable Node 20 host', () => {
    const c = nativeCapabilities();
    expect(c).toMatchObject({ webAssembly: true, simd: true, sharedMemory: true, threads: true, atomicsWait: true, usable: true });
    expect(c.reasons).toEqual([]);
  });

  it('never throws and explains itself without SharedArrayBuffer', async () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    const c = nativeCapabilities();
    expect(c.usable).toBe(false);
    expect(c.sharedMemory).toBe(false);
    expect(c.reasons.join(' ')).toMatch(/SharedArrayBuffer/);
    await expect(loadNativeKernels({ threads: 1 })).rejects.toThrow(/unavailable: SharedArrayBuffer/);
  });

  it('never throws without WebAssembly', () => {
    vi.stubGlobal('WebAssembly', undefined);
    const c = nativeCapabilities();
    expect(c).toMatchObject({ webAssembly: false, simd: false, threads: false, usable: false });
  });
});

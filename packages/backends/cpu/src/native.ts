import { nativeStatus, nativeVariants as load, releaseNative, type F32Storage, type KernelImpl } from '@fbnet/backend-common';

export { releaseNative };

/** Native (WASM SIMD, multithreaded) variants from @fbnet/native-kernels, when it loads here. */
export function nativeVariants(storage: F32Storage, threads?: number): Promise<KernelImpl[]> {
  // The residual Add and the global pool too (the stock ones would read every activation back),
  // and batch-1's small fused convolutions on the calling thread (no fork-join per kernel).
  return load(storage, threads, { elementwise: true, smallSingleThread: true });
}

export function nativeVersion(): string | undefined {
  const s = nativeStatus();
  return s.available ? s.detail : undefined;
}

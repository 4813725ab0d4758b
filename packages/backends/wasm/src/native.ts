import { nativeStatus, nativeVariants as load, releaseNative, type F32Storage, type KernelImpl } from '@fbnet/backend-common';

export { releaseNative };

/** Native (WASM SIMD, multithreaded) variants from @fbnet/native-kernels, when it loads here. */
export function nativeVariants(storage: F32Storage, threads?: number): Promise<KernelImpl[]> {
  return load(storage, threads);
}

export function nativeVersion(): string | undefined {
  const s = nativeStatus();
  return s.available ? s.detail : undefined;
}

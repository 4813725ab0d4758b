import type { F32Storage, KernelImpl } from '@fbnet/backend-common';

/** Native (WASM SIMD, multithreaded) variants, when @fbnet/native-kernels exists. */
export async function nativeVariants(_storage: F32Storage, _threads?: number): Promise<KernelImpl[]> {
  return [];
}

export function nativeVersion(): string | undefined {
  return undefined;
}

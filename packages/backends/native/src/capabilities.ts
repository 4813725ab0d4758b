/** What this host offers the native kernels; probing never throws. */

export interface NativeCapabilities {
  /** WebAssembly is present. */
  webAssembly: boolean;
  /** Fixed-width SIMD (v128) validates. */
  simd: boolean;
  /** SharedArrayBuffer exists (browsers: cross-origin isolated pages only). */
  sharedMemory: boolean;
  /** A shared WebAssembly.Memory can be created: the module (linked with shared memory) can load. */
  threads: boolean;
  /** The calling thread may block in Atomics.wait (Node main thread: yes; browser main thread: no). */
  atomicsWait: boolean;
  /** All of the above that loading needs: webAssembly && simd && threads. */
  usable: boolean;
  /** Why not usable, when it is not. */
  reasons: string[];
}

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)) — wasm-feature-detect's SIMD probe
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

function attempt(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

export function nativeCapabilities(): NativeCapabilities {
  const webAssembly = attempt(() => typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function');
  const simd = webAssembly && attempt(() => WebAssembly.validate(SIMD_PROBE));
  const sharedMemory = attempt(() => typeof SharedArrayBuffer === 'function');
  const threads =
    webAssembly &&
    sharedMemory &&
    attempt(() => new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer);
  const atomicsWait = sharedMemory && attempt(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0) === 'not-equal');
  const reasons: string[] = [];
  if (!webAssembly) reasons.push('WebAssembly is not available');
  if (webAssembly && !simd) reasons.push('WebAssembly SIMD (v128) is not supported');
  if (!sharedMemory) reasons.push('SharedArrayBuffer is not available (browsers need cross-origin isolation: COOP/COEP headers)');
  else if (!threads) reasons.push('shared WebAssembly.Memory cannot be created');
  return { webAssembly, simd, sharedMemory, threads, atomicsWait, usable: webAssembly && simd && threads, reasons };
}

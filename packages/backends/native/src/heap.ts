/**
 * The kernels' heap: a C-side allocator (csrc/alloc.c) over one shared WebAssembly.Memory.
 * `HeapArray` is a float32 buffer that stays resident between kernel calls, so callers that
 * reuse a buffer (weights, activations kept for backward) skip the copy in and out.
 */
import type { KernelExports } from './wasm-exports.ts';

/** Heap usage as reported by the allocator (bytes include block headers). */
export interface HeapStats {
  /** Bytes held by live blocks. */
  bytesInUse: number;
  /** Number of live blocks (HeapArrays, kernel scratch). */
  liveBlocks: number;
  /** Bytes the allocator manages (grows, never shrinks). */
  heapBytes: number;
  /** Total linear memory size in bytes. */
  memoryBytes: number;
}

export class Heap {
  private buf: ArrayBufferLike;
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly exports: KernelExports,
  ) {
    this.buf = memory.buffer;
    this.f32View = new Float32Array(this.buf);
    this.i32View = new Int32Array(this.buf);
  }

  /** Float32 view of the whole memory; re-created after the memory grew. */
  get f32(): Float32Array {
    if (this.memory.buffer.byteLength !== this.buf.byteLength) this.refresh();
    return this.f32View;
  }

  get i32(): Int32Array {
    if (this.memory.buffer.byteLength !== this.buf.byteLength) this.refresh();
    return this.i32View;
  }

  private refresh(): void {
    this.buf = this.memory.buffer;
    this.f32View = new Float32Array(this.buf);
    this.i32View = new Int32Array(this.buf);
  }

  /** Allocates `bytes` (16-byte aligned); throws when the memory cannot grow further. */
  allocBytes(bytes: number): number {
    const p = this.exports.fb_alloc(Math.max(16, bytes)) >>> 0;
    if (p === 0) {
      throw new RangeError(`native-kernels: out of memory allocating ${bytes} bytes (memory ${this.memory.buffer.byteLength} bytes)`);
    }
    return p;
  }

  freeBytes(ptr: number): void {
    this.exports.fb_release(ptr);
  }

  /** A resident float32 buffer of `length` elements (contents undefined until written). */
  alloc(length: number): HeapArray {
    return new HeapArray(this, this.allocBytes(length * 4), length);
  }

  /** A resident copy of `src`. */
  fromArray(src: ArrayLike<number>): HeapArray {
    const h = this.alloc(src.length);
    h.array.set(src);
    return h;
  }

  stats(): HeapStats {
    const e = this.exports;
    return {
      bytesInUse: e.fb_heap_stat(0) >>> 0,
      liveBlocks: e.fb_heap_stat(1) >>> 0,
      heapBytes: e.fb_heap_stat(2) >>> 0,
      memoryBytes: this.memory.buffer.byteLength,
    };
  }
}

/**
 * A float32 array living in the kernels' heap. Pass it anywhere a kernel takes a
 * Float32Array input, or as `out` to keep a result resident. `array` is a live view; take it
 * again after any kernel call or allocation (the memory may have grown, which makes the old
 * view shorter than the heap, never invalid).
 */
export class HeapArray {
  private freed = false;

  constructor(
    private readonly heap: Heap,
    /** Byte offset in the shared memory. */
    readonly ptr: number,
    /** Number of float32 elements. */
    readonly length: number,
  ) {}

  get array(): Float32Array {
    this.check();
    return this.heap.f32.subarray(this.ptr >>> 2, (this.ptr >>> 2) + this.length);
  }

  /** A copy in an ordinary Float32Array. */
  toArray(): Float32Array {
    return this.array.slice();
  }

  get disposed(): boolean {
    return this.freed;
  }

  dispose(): void {
    if (this.freed) return;
    this.freed = true;
    this.heap.freeBytes(this.ptr);
  }

  private check(): void {
    if (this.freed) throw new Error('native-kernels: HeapArray used after dispose()');
  }
}

/** Kernel input: an ordinary array (copied in) or a resident buffer (used in place). */
export type F32Input = Float32Array | HeapArray;
/** Kernel output target: an ordinary array (copied out into it) or a resident buffer. */
export type F32Output = Float32Array | HeapArray;

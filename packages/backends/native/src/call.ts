/**
 * Staging for one kernel call: inputs that are ordinary arrays are copied into temporary heap
 * blocks, outputs are produced in temporary blocks (or in place for HeapArray targets) and
 * copied out; every temporary is freed before returning, also on error.
 */
import { Heap, HeapArray, type F32Input, type F32Output } from './heap.ts';

export interface InSpec {
  name: string;
  data: F32Input | Int32Array;
  length: number;
}

export interface OutSpec {
  name: string;
  length: number;
  out?: F32Output;
}

export function checkLength(name: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new RangeError(`native-kernels: ${name} has ${actual} elements, expected ${expected}`);
  }
}

/**
 * Runs `invoke(inPtrs, outPtrs)` with every input/output resolved to a heap pointer, and
 * returns the outputs: the given `out` object when one was passed, else a new Float32Array.
 */
export function runKernel(
  heap: Heap,
  ins: InSpec[],
  outs: OutSpec[],
  invoke: (inPtrs: number[], outPtrs: number[]) => void,
): F32Output[] {
  for (const i of ins) checkLength(i.name, i.data.length, i.length);
  for (const o of outs) if (o.out) checkLength(o.name, o.out.length, o.length);
  const temps: number[] = [];
  try {
    const inPtrs = ins.map((i) => {
      if (i.data instanceof HeapArray) return i.data.ptr;
      const p = heap.allocBytes(i.length * 4);
      temps.push(p);
      if (i.data instanceof Int32Array) heap.i32.set(i.data, p >>> 2);
      else heap.f32.set(i.data, p >>> 2);
      return p;
    });
    const outPtrs = outs.map((o) => {
      if (o.out instanceof HeapArray) return o.out.ptr;
      const p = heap.allocBytes(o.length * 4);
      temps.push(p);
      return p;
    });
    try {
      invoke(inPtrs, outPtrs);
    } catch (err) {
      // C code traps (unreachable) only when a scratch allocation fails
      if (err instanceof WebAssembly.RuntimeError)
        throw new RangeError(`native-kernels: kernel trapped (${err.message}); most likely the heap hit its 2 GiB limit`, { cause: err });
      throw err;
    }
    const f32 = heap.f32;
    return outs.map((o, k) => {
      if (o.out instanceof HeapArray) return o.out;
      const src = f32.subarray(outPtrs[k] >>> 2, (outPtrs[k] >>> 2) + o.length);
      if (o.out) {
        o.out.set(src);
        return o.out;
      }
      return src.slice();
    });
  } finally {
    for (const p of temps) heap.freeBytes(p);
  }
}

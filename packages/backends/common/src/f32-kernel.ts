import type * as tf from '@tensorflow/tfjs-core';
import type { KernelShape } from '@fbnet/core';
import type { CallInfo } from './call-info.ts';
import type { KernelArgs, KernelImpl } from './variant.ts';

/**
 * A backend-independent kernel on float32 arrays: it names its inputs, says the output
 * shapes of a call, and computes outputs from input arrays. A plugin binds it to its TF.js
 * backend's storage with an `F32Storage`, so the same math serves the cpu backend (JS typed
 * arrays) and the wasm backend (views on its heap).
 */
export interface F32Kernel {
  kernel: string;
  variant: string;
  description: string;
  /** Input names in order; a function of the attrs for kernels with a variable number of inputs. */
  inputs: readonly string[] | ((attrs: Record<string, unknown>) => readonly string[]);
  /** true when the kernel returns a list of tensors (multi-output kernels). */
  multiOutput?: boolean;
  supports(shape: KernelShape, call?: CallInfo): boolean;
  outputShapes(call: CallInfo, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>): number[][];
  compute(ins: Float32Array[], outs: Float32Array[], call: CallInfo, attrs: Record<string, unknown>): void;
}

/** How a TF.js backend stores float32 tensors. */
export interface F32Storage {
  /** Allocate a float32 output (contents unspecified). May move the heap: views come after. */
  alloc(backend: unknown, shape: number[]): tf.TensorInfo;
  /** A live Float32Array over a tensor's data; invalid after the next alloc on heap backends. */
  view(backend: unknown, t: tf.TensorInfo): Float32Array;
  /**
   * Optional: allocate an output whose data the backend does not hold yet (a native result kept
   * in the native heap); `write` gives it its data before anything reads it. Backends that keep
   * tensors in JS arrays (cpu) skip allocating — and first-touching — arrays nothing may read.
   */
  allocDeferred?(backend: unknown, shape: number[]): tf.TensorInfo;
  /** Optional: set a tensor's data (a copy of `src`), also one made by `allocDeferred`. */
  write?(backend: unknown, t: tf.TensorInfo, src: Float32Array): void;
}

const EMPTY = new Float32Array(0);

/** A kernel's input names for a call. */
export function inputNames(k: Pick<F32Kernel, 'inputs'>, attrs: Record<string, unknown>): readonly string[] {
  return typeof k.inputs === 'function' ? k.inputs(attrs) : k.inputs;
}

export function bindF32Kernel(k: F32Kernel, storage: F32Storage): KernelImpl {
  return {
    kernel: k.kernel,
    variant: k.variant,
    description: k.description,
    supports: (shape, call) => k.supports(shape, call),
    run(args: KernelArgs, call: CallInfo) {
      const attrs = args.attrs ?? {};
      const outs = k.outputShapes(call, args.inputs, attrs).map((s) => storage.alloc(args.backend, s));
      // Optional inputs a call leaves out (a fused conv's bias) come as empty arrays.
      const inArrays = inputNames(k, attrs).map((name) => (args.inputs[name] ? storage.view(args.backend, args.inputs[name]) : EMPTY));
      const outArrays = outs.map((o) => storage.view(args.backend, o));
      k.compute(inArrays, outArrays, call, attrs);
      return k.multiOutput ? outs : outs[0];
    },
  };
}

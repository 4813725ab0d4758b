import * as tf from '@tensorflow/tfjs-core';

/** Backends that hold tensors in host memory, where `@fbnet/dmasking`'s host kernels run. */
export const HOST_BACKENDS = ['cpu', 'wasm'] as const;

export const isHostBackend = (name = tf.getBackend()) => (HOST_BACKENDS as readonly string[]).includes(name);

export type HostKernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/**
 * Host storage of the cpu backend (JS arrays) and of the wasm one (its heap): a kernel allocates
 * its outputs first, then takes every array as a view — on wasm after the last allocation, which
 * can grow (and so detach) the heap — so it copies nothing in or out.
 */
interface HostBackend {
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap?(t: tf.TensorInfo): tf.backend_util.TypedArray;
}

const onHeap = (b: HostBackend) => !!(b.makeOutput && b.typedArrayFromHeap);

/** A float32 output of `shape` (contents unspecified on wasm, zeros on cpu). */
export function alloc(backend: tf.KernelBackend, shape: readonly number[]): tf.TensorInfo {
  const b = backend as unknown as HostBackend;
  return onHeap(b) ? b.makeOutput!([...shape], 'float32') : b.makeTensorInfo!([...shape], 'float32', new Float32Array(shape.reduce((a, x) => a * x, 1)));
}

/** The tensor's own data (read only for inputs): a heap view on wasm, the stored array on cpu. */
export function view(backend: tf.KernelBackend, t: tf.TensorInfo): Float32Array {
  const b = backend as unknown as HostBackend;
  return (onHeap(b) ? b.typedArrayFromHeap!(t) : b.readSync(t.dataId)) as Float32Array;
}

/** Register a kernel for every host backend that has none of that name yet. */
export function registerHostKernel(kernelName: string, kernelFunc: (args: HostKernelArgs) => tf.TensorInfo | tf.TensorInfo[]): void {
  for (const backendName of HOST_BACKENDS) {
    if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}

/**
 * A differentiable host op: its forward and backward kernels on every host backend and the
 * forward's gradient (which runs the backward kernel), registered once, on first use.
 */
export function hostOp(o: { forward: [string, (args: HostKernelArgs) => tf.TensorInfo | tf.TensorInfo[]]; backward: [string, (args: HostKernelArgs) => tf.TensorInfo | tf.TensorInfo[]]; gradient: Omit<tf.GradConfig, 'kernelName'> }): () => void {
  let registered = false;
  return () => {
    if (registered) return;
    registered = true;
    registerHostKernel(...o.forward);
    registerHostKernel(...o.backward);
    if (!tf.getGradient(o.forward[0])) tf.registerGradient({ kernelName: o.forward[0], ...o.gradient });
  };
}

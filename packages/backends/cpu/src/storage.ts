import type * as tf from '@tensorflow/tfjs-core';
import type { F32Storage } from '@fbnet/backend-common';

interface CpuBackendLike {
  data: { get(id: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** The cpu backend keeps tensors as JS typed arrays: outputs are new arrays handed to it. */
export const cpuStorage: F32Storage = {
  alloc(backend, shape) {
    const size = shape.reduce((a, b) => a * b, 1);
    return (backend as CpuBackendLike).makeTensorInfo(shape, 'float32', new Float32Array(size));
  },
  view(backend, t) {
    return (backend as CpuBackendLike).data.get(t.dataId).values as Float32Array;
  },
  // A native result is registered without an array: most activations go from native kernel to
  // native kernel and are never read here, and a fresh array costs its allocation and first
  // touch (on this VM ~3 ns per element, as much as the batch-1 convolution itself).
  allocDeferred(backend, shape) {
    return (backend as CpuBackendLike).makeTensorInfo(shape, 'float32');
  },
  write(backend, t, src) {
    const d = (backend as CpuBackendLike).data.get(t.dataId);
    const have = d.values as Float32Array | undefined;
    if (have && have.length === src.length) have.set(src);
    else d.values = src.slice();
  },
};

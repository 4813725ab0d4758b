import type * as tf from '@tensorflow/tfjs-core';
import type { F32Storage } from '@fbnet/backend-common';

export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/**
 * The wasm backend keeps tensors in its heap: outputs are heap allocations, and kernels
 * work on Float32Array views of the heap (taken after every allocation, since an
 * allocation can grow — and so detach — the heap).
 */
export const wasmStorage: F32Storage = {
  alloc(backend, shape) {
    return (backend as WasmBackendLike).makeOutput(shape, 'float32');
  },
  view(backend, t) {
    return (backend as WasmBackendLike).typedArrayFromHeap(t) as Float32Array;
  },
};

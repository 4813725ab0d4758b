import * as tf from '@tensorflow/tfjs-core';
import { isPlainPointwise, type KernelImpl } from '@fbnet/backend-common';
import { im2colTransposed, transposeInto } from './layout.ts';
import type { WasmBackendLike } from '../storage.ts';

/** Largest im2col matrix (elements) this variant stages on the heap. */
const MAX_COLS = 1 << 24;

/**
 * dW = colsᵀ·dy with the transposed operand laid out in JS and the product done by the wasm
 * backend's own BatchMatMul (XNNPACK, SIMD) in its fast no-transpose form.
 */
export const conv2DBackpropFilterWasmMatMul: KernelImpl = {
  kernel: 'Conv2DBackpropFilter',
  variant: 'wasm-matmul',
  description: 'xᵀ / im2col(x)ᵀ staged in JS on the heap, then wasm BatchMatMul (XNNPACK)',
  supports: (s) => (s.n as number) * (s.h as number) * (s.w as number) * (s.kh as number) * (s.kw as number) * (s.cin as number) <= MAX_COLS,
  run({ inputs, backend }, call) {
    const g = call.conv!;
    const be = backend as WasmBackendLike;
    const M = g.n * g.oh * g.ow;
    const K = g.kh * g.kw * g.cin;
    const colsT = be.makeOutput([1, K, M], 'float32');
    const xv = be.typedArrayFromHeap(inputs.x) as Float32Array;
    const cv = be.typedArrayFromHeap(colsT) as Float32Array;
    if (isPlainPointwise(g)) transposeInto(xv, M, K, cv);
    else im2colTransposed(xv, g, cv);
    const matMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    const dyInfo = { dataId: inputs.dy.dataId, shape: [1, M, g.cout], dtype: 'float32' as const };
    const out = matMul({ inputs: { a: colsT, b: dyInfo }, attrs: { transposeA: false, transposeB: false }, backend: backend as tf.KernelBackend }) as tf.TensorInfo;
    be.disposeData(colsT.dataId);
    return { dataId: out.dataId, shape: [g.kh, g.kw, g.cin, g.cout], dtype: 'float32' };
  },
};

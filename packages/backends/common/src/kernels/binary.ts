import type * as tf from '@tensorflow/tfjs-core';
import type { F32Kernel } from '../f32-kernel.ts';
import { broadcastBinary, broadcastShape, type BinaryOp } from '../math/broadcast.ts';

/** A broadcasting float32 binary kernel (shared by Add, Sub, Multiply, RealDiv). */
export function binaryKernel(kernel: string, op: BinaryOp): F32Kernel {
  return {
    kernel,
    variant: 'strided-js',
    description: 'broadcast with merged contiguous dims and one specialised inner loop per stride pattern',
    inputs: ['a', 'b'],
    supports: () => true,
    outputShapes: (_call, inputs: Record<string, tf.TensorInfo>) => [broadcastShape(inputs.a.shape, inputs.b.shape)],
    compute: ([a, b], [out], call) => {
      const s = call.shape;
      broadcastBinary(op, a, dims(s.a), b, dims(s.b), out);
    },
  };
}

function dims(v: unknown): number[] {
  return String(v) === '' ? [] : String(v).split('x').map(Number);
}

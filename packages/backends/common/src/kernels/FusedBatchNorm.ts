import type { F32Kernel } from '../f32-kernel.ts';
import { batchNormInferInto } from '../math/unary.ts';

const sizeOf = (s: unknown) => (String(s) === '' ? 1 : String(s).split('x').map(Number).reduce((a, b) => a * b, 1));
const lastDim = (s: unknown) => Number(String(s).split('x').pop());

/** Inference batch norm (tf.batchNorm) with channel-wise parameters folded into one FMA per element. */
export const fusedBatchNormJs: F32Kernel = {
  kernel: 'FusedBatchNorm',
  variant: 'folded-js',
  description: 'per-channel scale/shift folded once, then y = x·a + b over the last axis',
  inputs: ['x', 'mean', 'variance', 'offset', 'scale'],
  // Parameters must be per-channel vectors (or scalars) over the last axis, all present.
  supports: (s) => {
    const C = lastDim(s.x);
    return ['mean', 'variance', 'offset', 'scale'].every((k) => s[k] !== undefined && (sizeOf(s[k]) === C || sizeOf(s[k]) === 1));
  },
  outputShapes: (_c, inputs) => [inputs.x.shape],
  compute: ([x, mean, variance, offset, scale], [y], call, attrs) =>
    batchNormInferInto(x, lastDim(call.shape.x), mean, variance, offset, scale, attrs.varianceEpsilon as number, y),
};

import { FBNET_KERNELS, type FusedActivation } from '@fbnet/core';
import type { F32Kernel } from '../f32-kernel.ts';
import { batchNormActForward } from '../math/batch-norm-act.ts';

export const batchNormActTrainJs: F32Kernel = {
  kernel: FBNET_KERNELS.BatchNormActTrain,
  variant: 'fused-js',
  description: 'two-pass float64 statistics, then one fused normalise+affine+activation pass',
  inputs: ['x', 'gamma', 'beta'],
  multiOutput: true,
  supports: () => true,
  outputShapes: (_call, inputs) => {
    const shape = inputs.x.shape;
    const c = shape[shape.length - 1];
    return [shape, [c], [c]];
  },
  compute: ([x, gamma, beta], [y, mean, invStd], _call, attrs) =>
    batchNormActForward(x, gamma, beta, gamma.length, attrs.epsilon as number, attrs.act as FusedActivation, y, mean, invStd),
};

import { FBNET_KERNELS, type FusedActivation } from '@fbnet/core';
import type { F32Kernel } from '../f32-kernel.ts';
import { batchNormActBackward } from '../math/batch-norm-act.ts';

export const batchNormActGradJs: F32Kernel = {
  kernel: FBNET_KERNELS.BatchNormActGrad,
  variant: 'fused-js',
  description: 'recomputes the pre-activation from saved statistics; two passes (reductions, then dx)',
  inputs: ['dy', 'x', 'gamma', 'beta', 'mean', 'invStd'],
  multiOutput: true,
  supports: () => true,
  outputShapes: (_call, inputs) => {
    const shape = inputs.x.shape;
    const c = shape[shape.length - 1];
    return [shape, [c], [c]];
  },
  compute: ([dy, x, gamma, beta, mean, invStd], [dx, dgamma, dbeta], _call, attrs) =>
    batchNormActBackward(dy, x, gamma, beta, mean, invStd, gamma.length, attrs.act as FusedActivation, dx, dgamma, dbeta),
};

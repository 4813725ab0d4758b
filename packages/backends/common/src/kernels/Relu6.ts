import type { F32Kernel } from '../f32-kernel.ts';
import { relu6Into } from '../math/unary.ts';

export const relu6Js: F32Kernel = {
  kernel: 'Relu6',
  variant: 'branchless-js',
  description: 'clamp to [0, 6] without a branch',
  inputs: ['x'],
  supports: () => true,
  outputShapes: (_c, inputs) => [inputs.x.shape],
  compute: ([x], [y]) => relu6Into(x, y),
};

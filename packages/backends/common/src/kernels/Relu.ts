import type { F32Kernel } from '../f32-kernel.ts';
import { reluInto } from '../math/unary.ts';

export const reluJs: F32Kernel = {
  kernel: 'Relu',
  variant: 'branchless-js',
  description: 'y = x·(x > 0) without a branch',
  inputs: ['x'],
  supports: () => true,
  outputShapes: (_c, inputs) => [inputs.x.shape],
  compute: ([x], [y]) => reluInto(x, y),
};

import type { F32Kernel } from '../f32-kernel.ts';
import { conv2dBackpropFilter } from '../math/conv2d.ts';

export const conv2DBackpropFilterJs: F32Kernel = {
  kernel: 'Conv2DBackpropFilter',
  variant: 'im2col-gemm-js',
  description: 'dW = im2col(x)ᵀ·dy, blocked JS GEMM accumulated over pixel chunks',
  inputs: ['x', 'dy'],
  supports: () => true,
  outputShapes: ({ conv: g }) => [[g!.kh, g!.kw, g!.cin, g!.cout]],
  compute: ([x, dy], [df], { conv: g }) => conv2dBackpropFilter(x, dy, g!, df),
};

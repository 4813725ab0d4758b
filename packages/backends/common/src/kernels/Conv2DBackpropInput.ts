import type { F32Kernel } from '../f32-kernel.ts';
import { conv2dBackpropInput } from '../math/conv2d.ts';

export const conv2DBackpropInputJs: F32Kernel = {
  kernel: 'Conv2DBackpropInput',
  variant: 'gemm-col2im-js',
  description: 'dcols = dy·Wᵀ (blocked JS GEMM) then col2im scatter-add',
  inputs: ['dy', 'filter'],
  supports: () => true,
  outputShapes: ({ conv: g }) => [[g!.n, g!.h, g!.w, g!.cin]],
  compute: ([dy, f], [dx], { conv: g }) => conv2dBackpropInput(dy, f, g!, dx),
};

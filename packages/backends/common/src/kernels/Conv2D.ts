import type { F32Kernel } from '../f32-kernel.ts';
import { conv2dForward } from '../math/conv2d.ts';

export const conv2DJs: F32Kernel = {
  kernel: 'Conv2D',
  variant: 'im2col-gemm-js',
  description: 'im2col + cache-blocked 4x4 JS GEMM (1x1 stride-1 convs skip im2col)',
  inputs: ['x', 'filter'],
  supports: () => true,
  outputShapes: ({ conv: g }) => [[g!.n, g!.oh, g!.ow, g!.cout]],
  compute: ([x, f], [y], { conv: g }) => conv2dForward(x, f, g!, y),
};

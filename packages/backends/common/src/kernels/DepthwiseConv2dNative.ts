import type { F32Kernel } from '../f32-kernel.ts';
import { depthwiseForward } from '../math/depthwise.ts';

export const depthwiseConv2dNativeJs: F32Kernel = {
  kernel: 'DepthwiseConv2dNative',
  variant: 'direct-js',
  description: 'direct NHWC loops, channel innermost (channel multiplier 1)',
  inputs: ['x', 'filter'],
  supports: (s) => s.cin === s.cout,
  outputShapes: ({ conv: g }) => [[g!.n, g!.oh, g!.ow, g!.cout]],
  compute: ([x, f], [y], { conv: g }) => depthwiseForward(x, f, g!, y),
};

import type { F32Kernel } from '../f32-kernel.ts';
import { depthwiseBackpropInput } from '../math/depthwise.ts';

export const depthwiseConv2dNativeBackpropInputJs: F32Kernel = {
  kernel: 'DepthwiseConv2dNativeBackpropInput',
  variant: 'direct-js',
  description: 'scatter of dy through the filter, NHWC, channel innermost (multiplier 1)',
  inputs: ['dy', 'filter'],
  supports: (s) => s.cin === s.cout,
  outputShapes: ({ conv: g }) => [[g!.n, g!.h, g!.w, g!.cin]],
  compute: ([dy, f], [dx], { conv: g }) => depthwiseBackpropInput(dy, f, g!, dx),
};

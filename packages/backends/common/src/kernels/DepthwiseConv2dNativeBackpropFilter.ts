import type { F32Kernel } from '../f32-kernel.ts';
import { depthwiseBackpropFilter } from '../math/depthwise.ts';

export const depthwiseConv2dNativeBackpropFilterJs: F32Kernel = {
  kernel: 'DepthwiseConv2dNativeBackpropFilter',
  variant: 'direct-js',
  description: 'per-tap x·dy accumulation in float64, NHWC, channel innermost (multiplier 1)',
  inputs: ['x', 'dy'],
  supports: (s) => s.cin === s.cout,
  outputShapes: ({ conv: g }) => [[g!.kh, g!.kw, g!.cin, 1]],
  compute: ([x, dy], [df], { conv: g }) => depthwiseBackpropFilter(x, dy, g!, df),
};

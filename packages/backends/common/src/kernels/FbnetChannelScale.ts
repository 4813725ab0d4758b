import { FBNET_KERNELS } from '@fbnet/core';
import type { F32Kernel } from '../f32-kernel.ts';

/** y = x ∘ scale over the channels of NHWC rows (FBNetV2's channel masks). */
export const channelScaleJs: F32Kernel = {
  kernel: FBNET_KERNELS.ChannelScale,
  variant: 'js',
  description: 'per-channel scaling in one pass (no broadcast index arithmetic)',
  inputs: ['x', 'scale'],
  supports: () => true,
  outputShapes: (_call, inputs) => [inputs.x.shape],
  compute: ([x, scale], [y]) => {
    const c = scale.length;
    for (let i = 0; i < x.length; i += c) for (let k = 0; k < c; k++) y[i + k] = x[i + k] * scale[k];
  },
};

/** dx = dy ∘ scale; dscale[c] = Σ_rows dy ∘ x (float64 sums). */
export const channelScaleGradJs: F32Kernel = {
  kernel: FBNET_KERNELS.ChannelScaleGrad,
  variant: 'js',
  description: 'per-channel scaling backward: dx and the per-channel sums in one pass',
  inputs: ['dy', 'x', 'scale'],
  multiOutput: true,
  supports: () => true,
  outputShapes: (_call, inputs) => [inputs.x.shape, inputs.scale.shape],
  compute: ([dy, x, scale], [dx, dscale]) => {
    const c = scale.length;
    const acc = new Float64Array(c);
    for (let i = 0; i < x.length; i += c) {
      for (let k = 0; k < c; k++) {
        dx[i + k] = dy[i + k] * scale[k];
        acc[k] += dy[i + k] * x[i + k];
      }
    }
    dscale.set(acc);
  },
};

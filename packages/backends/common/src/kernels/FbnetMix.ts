import { FBNET_KERNELS } from '@fbnet/core';
import type { F32Kernel } from '../f32-kernel.ts';
import { mixInputs } from '../native/mix-inputs.ts';

/** y = Σ_i w_i x_i (FBNetV1's mixed operation), one pass per candidate. */
export const mixJs: F32Kernel = {
  kernel: FBNET_KERNELS.Mix,
  variant: 'js',
  description: 'Σ w_i x_i over the candidates (instead of stacking them into one matmul)',
  inputs: mixInputs,
  supports: () => true,
  outputShapes: (_call, inputs) => [inputs.x0.shape],
  compute: (ins, [y], _call, attrs) => {
    const k = attrs.k as number;
    const w = ins[k];
    y.fill(0);
    for (let i = 0; i < k; i++) {
      const x = ins[i], wi = w[i];
      for (let e = 0; e < y.length; e++) y[e] += wi * x[e];
    }
  },
};

/** dx_i = w_i·dy, dw_i = <dy, x_i> (summed in float64). */
export const mixGradJs: F32Kernel = {
  kernel: FBNET_KERNELS.MixGrad,
  variant: 'js',
  description: 'backward of Σ w_i x_i: scaled copies of dy and one dot product per candidate',
  inputs: (attrs) => ['dy', ...mixInputs(attrs)],
  multiOutput: true,
  supports: () => true,
  outputShapes: (_call, inputs, attrs) => [...Array.from({ length: attrs.k as number }, () => inputs.dy.shape), [attrs.k as number]],
  compute: ([dy, ...rest], outs, _call, attrs) => {
    const k = attrs.k as number;
    const w = rest[k];
    for (let i = 0; i < k; i++) {
      const x = rest[i], dx = outs[i], wi = w[i];
      let dot = 0;
      for (let e = 0; e < dy.length; e++) {
        dx[e] = wi * dy[e];
        dot += dy[e] * x[e];
      }
      outs[k][i] = dot;
    }
  },
};

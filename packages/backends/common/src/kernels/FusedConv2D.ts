import type { ConvGeometry } from '../math/conv-geometry.ts';
import type { F32Kernel } from '../f32-kernel.ts';
import { conv2dForward } from '../math/conv2d.ts';
import { biasActInPlace } from '../math/epilogue.ts';

/** tf.fused.conv2d / depthwiseConv2d (conv + optional bias + relu/relu6/linear) over a convolution. */
export function fusedConv(kernel: string, variant: string, description: string, conv: (x: Float32Array, f: Float32Array, g: ConvGeometry, y: Float32Array) => void): F32Kernel {
  return {
    kernel,
    variant,
    description,
    inputs: ['x', 'filter', 'bias'],
    supports: (s) => !kernel.includes('Depthwise') || s.cin === s.cout,
    outputShapes: ({ conv: g }) => [[g!.n, g!.oh, g!.ow, g!.cout]],
    compute: ([x, f, bias], [y], call, attrs) => {
      const g = call.conv!;
      conv(x, f, g, y);
      biasActInPlace(y, g.cout, call.shape.bias ? bias : undefined, String(attrs.activation ?? 'linear'));
    },
  };
}

export const fusedConv2DJs = fusedConv('FusedConv2D', 'im2col-gemm-js', 'JS GEMM convolution, then bias + activation in one pass', conv2dForward);

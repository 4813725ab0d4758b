import type { F32Kernel } from '../f32-kernel.ts';
import { contiguousAxes, reduceSplit, reduceSum } from '../math/reduce.ts';

function parse(call: { shape: Record<string, unknown> }): { shape: number[]; axes: number[]; keepDims: boolean } {
  const shape = String(call.shape.x) === '' ? [] : String(call.shape.x).split('x').map(Number);
  const axes = String(call.shape.axis)
    .split(',')
    .filter((s) => s !== '')
    .map(Number);
  return { shape, axes, keepDims: call.shape.keepDims === true };
}

/** Sum / Mean over a contiguous block of axes (float64 accumulation). */
export function reductionKernel(kernel: 'Sum' | 'Mean'): F32Kernel {
  return {
    kernel,
    variant: 'strided-js',
    description: 'reduce the middle of an [A, R, B] view in float64; contiguous axis blocks only',
    inputs: ['x'],
    supports: (s) => {
      const axes = String(s.axis ?? '').split(',').filter((v) => v !== '').map(Number);
      return axes.length > 0 && contiguousAxes(axes);
    },
    outputShapes: (call) => {
      const { shape, axes, keepDims } = parse(call);
      return [keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i))];
    },
    compute: ([x], [out], call) => {
      const { shape, axes } = parse(call);
      const { A, R, B } = reduceSplit(shape, axes);
      reduceSum(x, A, R, B, out, kernel === 'Mean' ? 1 / R : 1);
    },
  };
}

import type { NativeKernels } from '@fbnet/native-kernels';
import type { NativeKernelDef } from './native-variants.ts';

const NATIVE_VARIANT = 'native-simd-mt';

function dims(v: unknown): number[] {
  return String(v ?? '') === '' ? [] : String(v).split('x').map(Number);
}

function elements(v: unknown): number {
  return dims(v).reduce((a, b) => a * b, 1);
}

/**
 * Element-wise kernels that keep a chain of native convolutions in the native heap: a residual
 * `Add` of two tensors of one shape, and the global average pool (`Mean` over axes 1, 2 of an
 * NHWC tensor) before the classifier. Without them each of these reads its inputs back from the
 * native heap, and the next convolution copies the result in again.
 */
export function nativeElementwiseDefs(k: NativeKernels): NativeKernelDef[] {
  const description = (what: string) => `@fbnet/native-kernels ${what} (WASM SIMD, ${k.threads} threads)`;
  return [
    {
      kernel: 'Add',
      variant: NATIVE_VARIANT,
      description: description('add of two tensors of one shape (residual)'),
      inputs: ['a', 'b'],
      supports: (s) => s.a === s.b,
      outputShapes: (_c, inputs) => [inputs.a.shape],
      // The native add splits into tasks of 64K elements: below that it runs inline.
      poolMode: (call) => (elements(call.shape.a) <= 65536 ? 'either' : 'pool'),
      compute: ([a, b], [y]) => void k.add(a, b, y),
    },
    {
      kernel: 'Mean',
      variant: NATIVE_VARIANT,
      description: description('global average pool (Mean over axes 1, 2 of NHWC)'),
      inputs: ['x'],
      supports: (s) => dims(s.x).length === 4 && s.axis === '1,2',
      outputShapes: (call) => {
        const [n, , , c] = dims(call.shape.x);
        return [call.shape.keepDims ? [n, 1, 1, c] : [n, c]];
      },
      // One task up to ~200K elements (csrc MIN_TASK_WORK): inline.
      poolMode: (call) => (elements(call.shape.x) <= 200_000 ? 'either' : 'pool'),
      compute: ([x], [y], call) => {
        const [n, h, w, c] = dims(call.shape.x);
        k.globalAvgPool(x, { n, h, w, c }, y);
      },
    },
  ];
}

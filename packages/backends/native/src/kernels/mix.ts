/** FBNetV1's mixed operation y = Σ_i w_i x_i and its backward (csrc/mix.c). */
import { checkLength, runKernel } from '../call.ts';
import type { F32Input, F32Output } from '../heap.ts';
import type { NativeRuntime } from '../runtime.ts';

export interface MixGradResult<D extends F32Output = F32Output> {
  /** w_i · dy per input (absent where `wantDx[i]` was false). */
  dxs: (D | undefined)[];
  /** <dy, x_i> per input, [k]. */
  dw: Float32Array;
}

/** Writes k heap pointers (0 for none) into a temporary block; returns its pointer. */
function pointerTable(rt: NativeRuntime, ptrs: number[]): number {
  const p = rt.heap.allocBytes(ptrs.length * 4);
  rt.heap.i32.set(ptrs, p >>> 2);
  return p;
}

function checkMix(xs: readonly F32Input[], w: ArrayLike<number>): number {
  if (xs.length === 0) throw new RangeError('native-kernels: mix needs at least one input');
  checkLength('w', w.length, xs.length);
  const n = xs[0].length;
  xs.forEach((x, i) => checkLength(`xs[${i}]`, x.length, n));
  return n;
}

/** y = Σ_i w[i] · xs[i] (all xs the same length). */
export function mix(rt: NativeRuntime, xs: readonly F32Input[], w: ArrayLike<number>, out?: F32Output): F32Output {
  rt.assertLive();
  const n = checkMix(xs, w);
  const k = xs.length;
  return runKernel(rt.heap,
    [...xs.map((x, i) => ({ name: `xs[${i}]`, data: x, length: n })), { name: 'w', data: Float32Array.from(w), length: k }],
    [{ name: 'out', length: n, out }],
    (ins, [py]) => {
      const table = pointerTable(rt, ins.slice(0, k));
      try {
        rt.exports.fb_mix_fwd(table, ins[k], k, py, n);
      } finally {
        rt.heap.freeBytes(table);
      }
    })[0];
}

/** dxs[i] = w[i] · dy (for the inputs `wantDx` selects, default all) and dw[i] = <dy, xs[i]>. */
export function mixGrad(
  rt: NativeRuntime, dy: F32Input, xs: readonly F32Input[], w: ArrayLike<number>, wantDx?: readonly boolean[], outs?: readonly (F32Output | undefined)[],
): MixGradResult {
  rt.assertLive();
  const n = checkMix(xs, w);
  checkLength('dy', dy.length, n);
  const k = xs.length;
  const want = xs.map((_, i) => wantDx?.[i] ?? true);
  const dxIndex: number[] = [];
  want.forEach((wnt, i) => wnt && dxIndex.push(i));
  const results = runKernel(rt.heap,
    [{ name: 'dy', data: dy, length: n }, ...xs.map((x, i) => ({ name: `xs[${i}]`, data: x, length: n })), { name: 'w', data: Float32Array.from(w), length: k }],
    [...dxIndex.map((i) => ({ name: `dxs[${i}]`, length: n, out: outs?.[i] })), { name: 'dw', length: k }],
    ([pdy, ...rest], outPtrs) => {
      const xPtrs = rest.slice(0, k);
      const dxPtrs = xs.map(() => 0);
      dxIndex.forEach((i, j) => (dxPtrs[i] = outPtrs[j]));
      const xt = pointerTable(rt, xPtrs);
      const dt = pointerTable(rt, dxPtrs);
      try {
        rt.exports.fb_mix_bwd(pdy, xt, rest[k], k, dt, outPtrs[dxIndex.length], n);
      } finally {
        rt.heap.freeBytes(xt);
        rt.heap.freeBytes(dt);
      }
    });
  const dxs: (F32Output | undefined)[] = xs.map(() => undefined);
  dxIndex.forEach((i, j) => (dxs[i] = results[j]));
  return { dxs, dw: results[dxIndex.length] as Float32Array };
}

import * as tf from '@tensorflow/tfjs-core';
import { FBNET_KERNELS, FbnetError } from '@fbnet/core';
import { hasChannelScaleKernel } from '@fbnet/nn';
import { alloc, hostOp, isHostBackend, view, type HostKernelArgs } from './_host-storage.ts';
import { DMASKING_KERNELS } from './kernel-names.ts';

/**
 * y + x̂ ∘ r, with x̂ = x zero-padded on channels to y's width (a masked shortcut, eq. 3 on the
 * residual), as one differentiable op that keeps no activation-sized intermediate alive for the
 * backward pass: the gradient — dy for y, dy ∘ r on x's channels for x, Σ_{n,h,w} dy ∘ x̂ for r —
 * needs only x and r, which the block keeps anyway. So a masked shortcut costs a step no
 * activation memory (memory stays that of one block of the largest width).
 *
 * Where x is as wide as y and the backend has the channel-scaling kernels, the op is x ∘ r in
 * one pass and an add, and dx with Σ dy ∘ x in one pass (`FbnetChannelScale`, `…Grad`). Into a
 * wider block on the cpu and wasm backends it is one host kernel each way (`MaskedShortcut`):
 * no slice, pad or transpose of an activation. Elsewhere it is composed of tfjs ops.
 */
export function addMaskedShortcut(y: tf.Tensor4D, x: tf.Tensor4D, r: tf.Tensor1D): tf.Tensor4D {
  const c = y.shape[3];
  const cx = x.shape[3];
  if (cx > c) throw new FbnetError('USAGE', `masked shortcut: input has ${cx} channels, more than the block's ${c}`);
  if (r.shape[0] !== c) throw new FbnetError('USAGE', `masked shortcut: mask of ${r.shape[0]} channels for a block of ${c}`);
  if (isHostBackend() && (cx < c || !hasChannelScaleKernel())) return hostMaskedShortcut(y, x, r);
  return maskedShortcutOps(y, x, r);
}

/** `addMaskedShortcut` composed of tfjs ops (the channel-scaling kernels where the backend has them). */
export function maskedShortcutOps(y: tf.Tensor4D, x: tf.Tensor4D, r: tf.Tensor1D): tf.Tensor4D {
  const c = y.shape[3];
  const cx = x.shape[3];
  const fused = hasChannelScaleKernel();
  const op = tf.customGrad(((yIn: tf.Tensor4D, xIn: tf.Tensor4D, rIn: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([xIn, rIn]);
    const rx = cx === c ? rIn : tf.slice(rIn, 0, cx);
    const prod = fused ? (tf.engine().runKernel(FBNET_KERNELS.ChannelScale, { x: xIn, scale: rx } as unknown as tf.NamedTensorMap) as tf.Tensor4D) : tf.mul(xIn, rx);
    const xr = cx === c ? prod : tf.pad(prod, [[0, 0], [0, 0], [0, 0], [0, c - cx]]);
    return {
      value: tf.add(yIn, xr) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xs, rs] = saved as [tf.Tensor4D, tf.Tensor1D];
          const dyx = cx === c ? dy : tf.slice(dy, [0, 0, 0, 0], [-1, -1, -1, cx]);
          const rsx = cx === c ? rs : tf.slice(rs, 0, cx);
          const [dx, dr] = fused
            ? (tf.engine().runKernel(FBNET_KERNELS.ChannelScaleGrad, { dy: dyx, x: xs, scale: rsx } as unknown as tf.NamedTensorMap) as tf.Tensor[])
            : [tf.mul(dyx, rsx), tf.sum(tf.mul(dyx, xs), [0, 1, 2])];
          return [tf.clone(dy), dx, cx === c ? dr : tf.pad(dr, [[0, c - cx]])];
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(y, x, r) as tf.Tensor4D;
}

function shortcutKernel({ inputs, backend: b }: HostKernelArgs): tf.TensorInfo {
  const { y, x, r } = inputs as Record<'y' | 'x' | 'r', tf.TensorInfo>;
  const out = alloc(b, y.shape);
  const [Y, X, R, O] = [view(b, y), view(b, x), view(b, r), view(b, out)];
  const c = y.shape[3];
  const cx = x.shape[3];
  // y copied in one block move, then x ∘ r added on its channels.
  O.set(Y);
  for (let i = 0, j = 0; i < O.length; i += c, j += cx) for (let k = 0; k < cx; k++) O[i + k] += X[j + k] * R[k];
  return out;
}

function shortcutGradKernel({ inputs, backend: b }: HostKernelArgs): tf.TensorInfo[] {
  const { dy, x, r } = inputs as Record<'dy' | 'x' | 'r', tf.TensorInfo>;
  const dx = alloc(b, x.shape);
  const dr = alloc(b, r.shape);
  const [DY, X, R, DX, DR] = [view(b, dy), view(b, x), view(b, r), view(b, dx), view(b, dr)];
  const c = dy.shape[3];
  const cx = x.shape[3];
  const acc = new Float64Array(c);
  for (let i = 0, j = 0; i < DY.length; i += c, j += cx) {
    for (let k = 0; k < cx; k++) {
      DX[j + k] = DY[i + k] * R[k];
      acc[k] += DY[i + k] * X[j + k];
    }
  }
  DR.set(acc);
  return [dx, dr];
}

const ensureRegistered = hostOp({
  forward: [DMASKING_KERNELS.MaskedShortcut, shortcutKernel],
  backward: [DMASKING_KERNELS.MaskedShortcutGrad, shortcutGradKernel],
  gradient: {
    // x and r only: the block keeps x anyway, so the op holds no activation of its own.
    inputsToSave: ['x', 'r'],
    gradFunc: (dy, saved) => {
      const d = (Array.isArray(dy) ? dy[0] : dy) as tf.Tensor4D;
      const [dx, dr] = tf.engine().runKernel(DMASKING_KERNELS.MaskedShortcutGrad, { dy: d, x: saved[0], r: saved[1] } as unknown as tf.NamedTensorMap) as tf.Tensor[];
      return { y: () => tf.clone(d), x: () => dx, r: () => dr };
    },
  },
});

function hostMaskedShortcut(y: tf.Tensor4D, x: tf.Tensor4D, r: tf.Tensor1D): tf.Tensor4D {
  ensureRegistered();
  return tf.engine().runKernel(DMASKING_KERNELS.MaskedShortcut, { y, x, r } as unknown as tf.NamedTensorMap) as tf.Tensor4D;
}

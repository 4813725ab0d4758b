import * as tf from '@tensorflow/tfjs-core';
import { FBNET_KERNELS, type MixAttrs } from '@fbnet/core';

/** Does the active backend register the mixed-operation kernels (plugins with the training kernels do)? */
export function hasMixKernel(): boolean {
  const backend = tf.getBackend();
  return !!tf.getKernel(FBNET_KERNELS.Mix, backend) && !!tf.getKernel(FBNET_KERNELS.MixGrad, backend);
}

function named(xs: tf.Tensor[], w: tf.Tensor): tf.NamedTensorMap {
  const m: tf.NamedTensorMap = { w };
  xs.forEach((x, i) => (m[`x${i}`] = x));
  return m;
}

/**
 * FBNetV1's mixed operation Σ_i w_i x_i (eq. 5) over same-shape candidate outputs,
 * differentiable w.r.t. every x_i and w. One FbnetMix kernel forward and one FbnetMixGrad
 * backward where the backend has them (the native variants read the candidates where the
 * blocks left them, without copies); otherwise the candidates stacked into one matmul.
 */
export function mixCandidates<T extends tf.Tensor>(xs: T[], w: tf.Tensor1D): T {
  if (xs.length === 0) throw new Error('mixCandidates: no candidates');
  if (w.shape[0] !== xs.length) throw new Error(`mixCandidates: ${xs.length} candidates but ${w.shape[0]} weights`);
  const shape = xs[0].shape;
  if (!hasMixKernel()) {
    return tf.tidy(() => {
      const stacked = tf.reshape(tf.stack(xs), [xs.length, -1]);
      return tf.reshape(tf.matMul(tf.reshape(w, [1, xs.length]), stacked), shape) as T;
    });
  }
  const attrs: MixAttrs = { k: xs.length };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const ins = args as tf.Tensor[];
    const cands = ins.slice(0, -1);
    const weights = ins[ins.length - 1];
    save(ins);
    const value = tf.engine().runKernel(FBNET_KERNELS.Mix, named(cands, weights), attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const d = Array.isArray(dy) ? dy[0] : dy;
        const m = named(saved.slice(0, -1), saved[saved.length - 1]);
        m.dy = d;
        return tf.engine().runKernel(FBNET_KERNELS.MixGrad, m, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  });
  return f(...xs, w) as T;
}

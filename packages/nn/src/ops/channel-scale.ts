import * as tf from '@tensorflow/tfjs-core';
import { FBNET_KERNELS } from '@fbnet/core';

/** Does the active backend register the channel-scaling kernels (plugins with the training kernels do)? */
export function hasChannelScaleKernel(): boolean {
  const backend = tf.getBackend();
  return !!tf.getKernel(FBNET_KERNELS.ChannelScale, backend) && !!tf.getKernel(FBNET_KERNELS.ChannelScaleGrad, backend);
}

/**
 * x ∘ scale over the channels of an NHWC tensor (FBNetV2's channel masks), differentiable
 * w.r.t. both. One FbnetChannelScale kernel forward and one FbnetChannelScaleGrad backward
 * where the backend has them (the native variants read x where the conv left it, no copies);
 * otherwise a broadcast multiply.
 */
export function scaleChannels(x: tf.Tensor4D, scale: tf.Tensor1D): tf.Tensor4D {
  if (scale.shape[0] !== x.shape[3]) throw new Error(`scaleChannels: ${scale.shape[0]} scales for ${x.shape[3]} channels`);
  if (!hasChannelScaleKernel()) return tf.mul(x, scale);
  const f = tf.customGrad(((xIn: tf.Tensor4D, sIn: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([xIn, sIn]);
    const value = tf.engine().runKernel(FBNET_KERNELS.ChannelScale, { x: xIn, scale: sIn } as unknown as tf.NamedTensorMap) as tf.Tensor4D;
    return {
      value,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) =>
        tf.engine().runKernel(FBNET_KERNELS.ChannelScaleGrad, { dy, x: saved[0], scale: saved[1] } as unknown as tf.NamedTensorMap) as tf.Tensor[],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, scale) as tf.Tensor4D;
}

import * as tf from '@tensorflow/tfjs-core';
import { FBNET_KERNELS, type BatchNormActAttrs, type FusedActivation } from '@fbnet/core';
import { activate } from './activations.ts';

export interface BatchNormActResult {
  y: tf.Tensor4D;
  /** Batch statistics, for the running-average update (no gradient flows through them). */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** Is the fused kernel registered for the active backend? */
export function hasFusedBatchNorm(): boolean {
  const backend = tf.getBackend();
  return !!tf.getKernel(FBNET_KERNELS.BatchNormActTrain, backend) && !!tf.getKernel(FBNET_KERNELS.BatchNormActGrad, backend);
}

let gradientRegistered = false;
/** The gradient of the fused training kernel is the fused backward kernel. */
export function registerBatchNormActGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: FBNET_KERNELS.BatchNormActTrain,
    inputsToSave: ['x', 'gamma', 'beta'],
    outputsToSave: [false, true, true],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma, beta, mean, invStd] = saved;
      const dyY = Array.isArray(dy) ? dy[0] : dy;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(
        FBNET_KERNELS.BatchNormActGrad,
        { dy: dyY, x, gamma, beta, mean, invStd } as unknown as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}

/**
 * Training-mode batch norm (biased batch variance, as PyTorch normalises) followed by an
 * activation. Uses the backend's fused kernel when it has one, stock ops otherwise; both
 * paths are differentiable w.r.t. x, gamma and beta.
 */
export function batchNormActTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, act: FusedActivation, epsilon: number): BatchNormActResult {
  if (hasFusedBatchNorm()) {
    registerBatchNormActGradient();
    const attrs: BatchNormActAttrs = { epsilon, act };
    const [y, mean, invStd] = tf.engine().runKernel(
      FBNET_KERNELS.BatchNormActTrain,
      { x, gamma, beta } as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    const variance = tf.tidy(() => tf.sub(tf.div(1, tf.square(invStd)), epsilon)) as tf.Tensor1D;
    return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance };
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const z = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta) as tf.Tensor4D;
    return { y: activate(z, act), mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

/** Inference-mode batch norm with running statistics, then activation. */
export function batchNormActInfer(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  act: FusedActivation,
  epsilon: number,
): tf.Tensor4D {
  return tf.tidy(() => activate(tf.batchNorm(x, runningMean, runningVar, beta, gamma, epsilon), act));
}

import * as tf from '@tensorflow/tfjs-core';
import { FBNET_KERNELS, type BatchNormActAttrs, type BatchNormRunningStatsAttrs, type FusedActivation } from '@fbnet/core';
import { activate } from './activations.ts';

export interface BatchNormActResult {
  y: tf.Tensor4D;
  /** Batch statistics, for the running-average update (no gradient flows through them). */
  mean: tf.Tensor1D;
  /** The fused kernel's 1/sqrt(biased var + eps), or (stock ops) the biased variance itself. */
  stat: { invStd: tf.Tensor1D } | { variance: tf.Tensor1D };
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
    return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, stat: { invStd: invStd as tf.Tensor1D } };
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const z = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta) as tf.Tensor4D;
    return { y: activate(z, act), mean: mean as tf.Tensor1D, stat: { variance: variance as tf.Tensor1D } };
  });
}

/**
 * PyTorch's running-average update from a training-mode pass: running = (1 − m)·running +
 * m·batch, with the unbiased batch variance (count = N·H·W values per channel). One
 * `FbnetBatchNormRunningStats` kernel where the backend has it, stock ops otherwise. Disposes
 * the result's statistics.
 */
export function updateBatchNormRunningStats(
  runMean: tf.Variable,
  runVar: tf.Variable,
  r: BatchNormActResult,
  count: number,
  momentum: number,
  epsilon: number,
): void {
  const unbias = count > 1 ? count / (count - 1) : 1;
  tf.tidy(() => {
    if ('invStd' in r.stat && tf.getKernel(FBNET_KERNELS.BatchNormRunningStats, tf.getBackend())) {
      const attrs: BatchNormRunningStatsAttrs = { momentum, epsilon, count };
      const [m, v] = tf.engine().runKernel(
        FBNET_KERNELS.BatchNormRunningStats,
        { runMean, runVar, mean: r.mean, invStd: r.stat.invStd } as unknown as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      runMean.assign(m);
      runVar.assign(v);
      return;
    }
    const variance = 'variance' in r.stat ? r.stat.variance : tf.relu(tf.sub(tf.div(1, tf.square(r.stat.invStd)), epsilon));
    runMean.assign(tf.add(tf.mul(runMean, 1 - momentum), tf.mul(r.mean, momentum)));
    runVar.assign(tf.add(tf.mul(runVar, 1 - momentum), tf.mul(variance, momentum * unbias)));
  });
}

/** Dispose a training pass's batch statistics (when they are not used for an update). */
export function disposeBatchStats(r: BatchNormActResult): void {
  r.mean.dispose();
  if ('invStd' in r.stat) r.stat.invStd.dispose();
  else r.stat.variance.dispose();
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

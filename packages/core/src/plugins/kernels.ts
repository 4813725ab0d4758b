/**
 * Fused kernels fbnet-ts adds to TF.js. The contract (names, inputs, attrs, outputs) lives
 * here; backend plugins register implementations for their TF.js backend; `@fbnet/nn`
 * calls them through the engine and falls back to stock ops where a backend has none.
 */
export type FusedActivation = 'none' | 'relu' | 'relu6' | 'hswish';

export const FBNET_KERNELS = {
  /**
   * Training-mode batch norm + activation over N*H*W per channel (NHWC).
   * inputs: x [N,H,W,C], gamma [C], beta [C]; attrs: BatchNormActAttrs;
   * outputs: y [N,H,W,C], mean [C], invStd [C] (1/sqrt(var + eps), biased var).
   */
  BatchNormActTrain: 'FbnetBatchNormActTrain',
  /**
   * Backward of BatchNormActTrain.
   * inputs: dy, x, gamma, beta, mean, invStd; attrs: BatchNormActAttrs;
   * outputs: dx [N,H,W,C], dgamma [C], dbeta [C].
   */
  BatchNormActGrad: 'FbnetBatchNormActGrad',
  /**
   * The running-average update after a training-mode BatchNormActTrain, as PyTorch does it, in
   * one kernel instead of a dozen element-wise ones.
   * inputs: runMean [C], runVar [C], mean [C], invStd [C] (BatchNormActTrain's outputs);
   * attrs: BatchNormRunningStatsAttrs;
   * outputs: newMean = (1 − momentum)·runMean + momentum·mean,
   *          newVar = (1 − momentum)·runVar + momentum·max(0, 1/invStd² − epsilon)·count/(count − 1)
   *          (the unbiased batch variance; count = N·H·W, no correction when count is 1).
   * Not differentiable (statistics only).
   */
  BatchNormRunningStats: 'FbnetBatchNormRunningStats',
} as const;

export interface BatchNormRunningStatsAttrs {
  momentum: number;
  epsilon: number;
  count: number;
}

export interface BatchNormActAttrs {
  epsilon: number;
  act: FusedActivation;
}

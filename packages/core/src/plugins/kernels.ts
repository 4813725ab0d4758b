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
  /**
   * One optimizer update of one variable (PyTorch semantics, as `@fbnet/train`'s Optimizer
   * composes it from element-wise ops), in one kernel instead of five to ten.
   * inputs: v, g, and the variable's slots in order: s0 (SGD momentum buffer / Adam m / RMSProp
   * square average), s1 (Adam s / RMSProp momentum buffer), as the kind has them;
   * attrs: OptimizerStepAttrs; outputs: the new v, then the new slots in the same order.
   * Not differentiable.
   */
  OptimizerStep: 'FbnetOptimizerStep',
  /**
   * FBNetV1's mixed operation y = Σ_i w_i x_i (eq. 5) over k same-shape candidate outputs.
   * inputs: x0 … x{k−1}, w [k]; attrs: MixAttrs; outputs: y (x0's shape).
   */
  Mix: 'FbnetMix',
  /**
   * Backward of Mix. inputs: dy, x0 … x{k−1}, w; attrs: MixAttrs;
   * outputs: dx0 … dx{k−1} (w_i·dy), dw [k] (<dy, x_i>).
   */
  MixGrad: 'FbnetMixGrad',
  /**
   * Per-channel scaling y = x ∘ scale (FBNetV2's channel masks). inputs: x [N,H,W,C], scale [C];
   * outputs: y [N,H,W,C].
   */
  ChannelScale: 'FbnetChannelScale',
  /**
   * Backward of ChannelScale. inputs: dy, x, scale; outputs: dx = dy ∘ scale, dscale [C] =
   * Σ over N·H·W of dy ∘ x.
   */
  ChannelScaleGrad: 'FbnetChannelScaleGrad',
} as const;

export interface MixAttrs {
  /** Number of candidates (inputs x0 … x{k−1}). */
  k: number;
}

export interface OptimizerStepAttrs {
  kind: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  lr: number;
  /** 1-based step count (SGD momentum's first step, Adam's bias correction). */
  t: number;
  /** L2 added to the gradient (decoupled for adamw); 0 for none. */
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
  rho: number;
}

export interface BatchNormRunningStatsAttrs {
  momentum: number;
  epsilon: number;
  count: number;
}

export interface BatchNormActAttrs {
  epsilon: number;
  act: FusedActivation;
}

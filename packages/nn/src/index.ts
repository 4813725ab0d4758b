export { ParamStore, kaimingNormalFanOut, uniformFanIn, normalInit } from './params.ts';
export type { ParamSnapshot } from './params.ts';
export { activate, hardSigmoid, hardSwish } from './ops/activations.ts';
export { batchNormActTrain, batchNormActInfer, hasFusedBatchNorm, registerBatchNormActGradient, updateBatchNormRunningStats } from './ops/batch-norm-act.ts';
export type { BatchNormActResult } from './ops/batch-norm-act.ts';
export { conv, channelShuffle, filterShape } from './ops/conv.ts';
export { hasMixKernel, mixCandidates } from './ops/mix.ts';
export { hasChannelScaleKernel, scaleChannels } from './ops/channel-scale.ts';
export type { ConvGeometry } from './ops/conv.ts';
export { BlockModule, createConvParams, convForward, dropPath, BN_EPSILON, BN_MOMENTUM } from './block.ts';
export type { ForwardContext } from './block.ts';
export { Net, dropPathRate } from './net.ts';
export type { NetOptions, NetForwardContext, InputNormalization } from './net.ts';
export { crossEntropy, softCrossEntropy, countCorrect } from './loss.ts';
export { toLayersModel, serializeLayersModel } from './export-layers.ts';
export { toMatmulResizingLayersModel } from './resizing-layers.ts';
export type { MatmulResize } from './resizing-layers.ts';
/**
 * Version of how a net runs at inference (BN folded into fused convs since 'folded-bn-1').
 * Latency tables record it: a table timed under another version does not describe these nets.
 */
export const NN_INFERENCE_VERSION = 'folded-bn-1';
export { withPathBnStats } from './bn-reestimate.ts';

import type { F32Kernel } from '../f32-kernel.ts';
import { conv2DJs } from './Conv2D.ts';
import { conv2DBackpropFilterJs } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputJs } from './Conv2DBackpropInput.ts';
import { depthwiseConv2dNativeJs } from './DepthwiseConv2dNative.ts';
import { depthwiseConv2dNativeBackpropFilterJs } from './DepthwiseConv2dNativeBackpropFilter.ts';
import { depthwiseConv2dNativeBackpropInputJs } from './DepthwiseConv2dNativeBackpropInput.ts';
import { batchNormActGradJs } from './FbnetBatchNormActGrad.ts';
import { batchNormActTrainJs } from './FbnetBatchNormActTrain.ts';
import { batchNormRunningStatsJs } from './FbnetBatchNormRunningStats.ts';
import { optimizerStepJs } from './FbnetOptimizerStep.ts';
import { mixGradJs, mixJs } from './FbnetMix.ts';
import { channelScaleGradJs, channelScaleJs } from './FbnetChannelScale.ts';
import { addJs } from './Add.ts';
import { subJs } from './Sub.ts';
import { multiplyJs } from './Multiply.ts';
import { realDivJs } from './RealDiv.ts';
import { sumJs } from './Sum.ts';
import { meanJs } from './Mean.ts';
import { reluJs } from './Relu.ts';
import { relu6Js } from './Relu6.ts';
import { fusedBatchNormJs } from './FusedBatchNorm.ts';
import { fusedConv2DJs } from './FusedConv2D.ts';
import { fusedDepthwiseConv2DJs } from './FusedDepthwiseConv2D.ts';

export {
  conv2DJs,
  conv2DBackpropInputJs,
  conv2DBackpropFilterJs,
  depthwiseConv2dNativeJs,
  depthwiseConv2dNativeBackpropInputJs,
  depthwiseConv2dNativeBackpropFilterJs,
  batchNormActTrainJs,
  batchNormActGradJs,
  batchNormRunningStatsJs,
  optimizerStepJs,
  mixJs,
  mixGradJs,
  channelScaleJs,
  channelScaleGradJs,
  addJs,
  subJs,
  multiplyJs,
  realDivJs,
  sumJs,
  meanJs,
  reluJs,
  relu6Js,
  fusedBatchNormJs,
  fusedConv2DJs,
  fusedDepthwiseConv2DJs,
};

/** The portable JS training kernels: one fast variant for every kernel an FBNet step needs. */
export const JS_TRAINING_KERNELS: readonly F32Kernel[] = [
  conv2DJs,
  conv2DBackpropInputJs,
  conv2DBackpropFilterJs,
  depthwiseConv2dNativeJs,
  depthwiseConv2dNativeBackpropInputJs,
  depthwiseConv2dNativeBackpropFilterJs,
  batchNormActTrainJs,
  batchNormActGradJs,
  batchNormRunningStatsJs,
  optimizerStepJs,
  mixJs,
  mixGradJs,
  channelScaleJs,
  channelScaleGradJs,
];

/** Inference kernels TF.js's fused ops call (conv + bias + activation in one kernel). */
export const JS_FUSED_CONV_KERNELS: readonly F32Kernel[] = [fusedConv2DJs, fusedDepthwiseConv2DJs];

/**
 * Element-wise and reduction kernels for backends whose stock ones are slow on large
 * broadcasts (tfjs-backend-cpu computes an index per element); wasm's are native already.
 */
export const JS_ELEMENTWISE_KERNELS: readonly F32Kernel[] = [addJs, subJs, multiplyJs, realDivJs, sumJs, meanJs, reluJs, relu6Js, fusedBatchNormJs];

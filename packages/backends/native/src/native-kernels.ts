/**
 * The typed face of the native kernels. Every kernel takes inputs as Float32Array (copied into
 * the kernels' heap for the call) or HeapArray (used in place), and writes its result to a new
 * Float32Array, to a Float32Array passed as `out`, or, without any copy, to a HeapArray `out`.
 * Shapes and layouts: see params.ts (NHWC activations, TF.js filter layouts, explicit padding).
 */
import { channelScale, channelScaleGrad, type ChannelScaleGradResult } from './kernels/chscale.ts';
import { mix, mixGrad, type MixGradResult } from './kernels/mix.ts';
import { nativeCapabilities, type NativeCapabilities } from './capabilities.ts';
import type { F32Input, F32Output, Heap, HeapArray } from './heap.ts';
import { batchNormActGrad, batchNormActInference, batchNormActTrain, type BatchNormGradResult, type BatchNormTrainResult } from './kernels/batchnorm.ts';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from './kernels/conv2d.ts';
import { depthwiseConv2d, depthwiseConv2dBackpropFilter, depthwiseConv2dBackpropInput } from './kernels/depthwise.ts';
import {
  activation, activationGrad, add, biasAdd, biasAddGrad, channelShuffle, globalAvgPool, globalAvgPoolGrad, softmaxCrossEntropy,
  type SoftmaxCrossEntropyResult,
} from './kernels/elementwise.ts';
import { gemm, type GemmShape } from './kernels/gemm.ts';
import {
  resolveConv, resolveDepthwise, type Activation, type BatchNormOptions, type ChannelsShape, type Conv2DShape, type DepthwiseShape,
  type FusedEpilogue,
} from './params.ts';
import { createRuntime, type LoadOptions, type NativeRuntime } from './runtime.ts';

/** Result type for an optional `out`: a HeapArray target comes back as itself, otherwise a Float32Array. */
export type OutOf<O> = O extends HeapArray ? HeapArray : Float32Array;
type OptOut = F32Output | undefined;

export interface LoadedCapabilities extends NativeCapabilities {
  /** Threads in the pool, including the caller's. */
  poolThreads: number;
}

export class NativeKernels {
  constructor(private readonly rt: NativeRuntime) {}

  /** Threads taking part in each kernel (the caller's included). */
  get threads(): number {
    return this.rt.threads;
  }

  /** Resident buffers: `heap.alloc(n)`, `heap.fromArray(a)`, `heap.stats()`. */
  get heap(): Heap {
    return this.rt.heap;
  }

  /** The runtime underneath (wasm exports, memory) for integrations that call the C ABI directly. */
  get runtime(): NativeRuntime {
    return this.rt;
  }

  capabilities(): LoadedCapabilities {
    return { ...nativeCapabilities(), poolThreads: this.rt.isDisposed ? 0 : this.rt.threads };
  }

  /** Output spatial size of a conv2d. */
  conv2dOutShape(p: Conv2DShape): { outH: number; outW: number } {
    const r = resolveConv(p);
    return { outH: r.outH, outW: r.outW };
  }

  depthwiseOutShape(p: DepthwiseShape): { outH: number; outW: number } {
    const r = resolveDepthwise(p);
    return { outH: r.outH, outW: r.outW };
  }

  /**
   * C[m, n] = act(op(A) op(B) (+ C with `accumulate`) + bias). A: [m, k] ([k, m] if transA);
   * B: [k, n] ([n, k] if transB); bias: [n].
   */
  gemm<O extends OptOut = undefined>(a: F32Input, b: F32Input, p: GemmShape, out?: O): OutOf<O> {
    return gemm(this.rt, a, b, p, out) as OutOf<O>;
  }

  /**
   * y[n, outH, outW, cout] from x[n, h, w, cin] and filter[kh, kw, cin/groups, cout];
   * with `p.bias` / `p.act`, y = act(conv + bias) in the same pass.
   */
  conv2d<O extends OptOut = undefined>(x: F32Input, filter: F32Input, p: Conv2DShape & FusedEpilogue, out?: O): OutOf<O> {
    return conv2d(this.rt, x, filter, p, out) as OutOf<O>;
  }

  /** dx[n, h, w, cin] from dy[n, outH, outW, cout] and filter[kh, kw, cin/groups, cout]. */
  conv2dBackpropInput<O extends OptOut = undefined>(dy: F32Input, filter: F32Input, p: Conv2DShape, out?: O): OutOf<O> {
    return conv2dBackpropInput(this.rt, dy, filter, p, out) as OutOf<O>;
  }

  /** dfilter[kh, kw, cin/groups, cout] from x[n, h, w, cin] and dy[n, outH, outW, cout]. */
  conv2dBackpropFilter<O extends OptOut = undefined>(x: F32Input, dy: F32Input, p: Conv2DShape, out?: O): OutOf<O> {
    return conv2dBackpropFilter(this.rt, x, dy, p, out) as OutOf<O>;
  }

  /** y[n, outH, outW, c] from x[n, h, w, c] and filter[kh, kw, c, 1]; optional fused bias + act. */
  depthwiseConv2d<O extends OptOut = undefined>(x: F32Input, filter: F32Input, p: DepthwiseShape & FusedEpilogue, out?: O): OutOf<O> {
    return depthwiseConv2d(this.rt, x, filter, p, out) as OutOf<O>;
  }

  /** dx[n, h, w, c] from dy[n, outH, outW, c] and filter[kh, kw, c, 1]. */
  depthwiseConv2dBackpropInput<O extends OptOut = undefined>(dy: F32Input, filter: F32Input, p: DepthwiseShape, out?: O): OutOf<O> {
    return depthwiseConv2dBackpropInput(this.rt, dy, filter, p, out) as OutOf<O>;
  }

  /** dfilter[kh, kw, c, 1] from x[n, h, w, c] and dy[n, outH, outW, c]. */
  depthwiseConv2dBackpropFilter<O extends OptOut = undefined>(x: F32Input, dy: F32Input, p: DepthwiseShape, out?: O): OutOf<O> {
    return depthwiseConv2dBackpropFilter(this.rt, x, dy, p, out) as OutOf<O>;
  }

  /**
   * Training-mode batch-norm + activation over x[n, h, w, c] (statistics over n*h*w per channel).
   * Returns y and the saved mean / invStd that batchNormActGrad needs.
   */
  batchNormActTrain<O extends OptOut = undefined>(
    x: F32Input, gamma: F32Input, beta: F32Input, p: BatchNormOptions, out?: O,
  ): BatchNormTrainResult<OutOf<O>> {
    return batchNormActTrain(this.rt, x, gamma, beta, p, out) as BatchNormTrainResult<OutOf<O>>;
  }

  /** Backward of batchNormActTrain from dy, the same x, gamma, beta and the saved mean / invStd. */
  batchNormActGrad<O extends OptOut = undefined>(
    dy: F32Input, x: F32Input, gamma: F32Input, beta: F32Input, mean: F32Input, invStd: F32Input, p: BatchNormOptions, out?: O,
  ): BatchNormGradResult<OutOf<O>> {
    return batchNormActGrad(this.rt, dy, x, gamma, beta, mean, invStd, p, out) as BatchNormGradResult<OutOf<O>>;
  }

  /** Inference-mode batch-norm + activation with running statistics. */
  batchNormActInference<O extends OptOut = undefined>(
    x: F32Input, gamma: F32Input, beta: F32Input, runningMean: F32Input, runningVar: F32Input, p: BatchNormOptions, out?: O,
  ): OutOf<O> {
    return batchNormActInference(this.rt, x, gamma, beta, runningMean, runningVar, p, out) as OutOf<O>;
  }

  add<O extends OptOut = undefined>(a: F32Input, b: F32Input, out?: O): OutOf<O> {
    return add(this.rt, a, b, out) as OutOf<O>;
  }

  activation<O extends OptOut = undefined>(x: F32Input, act: Activation, out?: O): OutOf<O> {
    return activation(this.rt, x, act, out) as OutOf<O>;
  }

  /** dy * act'(x), x the activation's input. */
  activationGrad<O extends OptOut = undefined>(dy: F32Input, x: F32Input, act: Activation, out?: O): OutOf<O> {
    return activationGrad(this.rt, dy, x, act, out) as OutOf<O>;
  }

  biasAdd<O extends OptOut = undefined>(x: F32Input, bias: F32Input, p: ChannelsShape, out?: O): OutOf<O> {
    return biasAdd(this.rt, x, bias, p, out) as OutOf<O>;
  }

  biasAddGrad<O extends OptOut = undefined>(dy: F32Input, p: ChannelsShape, out?: O): OutOf<O> {
    return biasAddGrad(this.rt, dy, p, out) as OutOf<O>;
  }

  /** [n, h, w, c] -> [n, c] mean over h, w. */
  globalAvgPool<O extends OptOut = undefined>(x: F32Input, p: ChannelsShape, out?: O): OutOf<O> {
    return globalAvgPool(this.rt, x, p, out) as OutOf<O>;
  }

  /** [n, c] -> [n, h, w, c], each dy / (h*w). */
  globalAvgPoolGrad<O extends OptOut = undefined>(dy: F32Input, p: ChannelsShape, out?: O): OutOf<O> {
    return globalAvgPoolGrad(this.rt, dy, p, out) as OutOf<O>;
  }

  channelShuffle<O extends OptOut = undefined>(x: F32Input, p: ChannelsShape & { groups: number }, out?: O): OutOf<O> {
    return channelShuffle(this.rt, x, p, out) as OutOf<O>;
  }

  /** Mean softmax cross-entropy of logits [n, k] vs labels [n] (optionally smoothed) and its gradient. */
  softmaxCrossEntropy<O extends OptOut = undefined>(
    logits: F32Input, labels: Int32Array, p: { n: number; k: number; labelSmoothing?: number }, out?: O,
  ): SoftmaxCrossEntropyResult<OutOf<O>> {
    return softmaxCrossEntropy(this.rt, logits, labels, p, out) as SoftmaxCrossEntropyResult<OutOf<O>>;
  }

  /** FBNetV1's mixed operation: y = Σ_i w[i] · xs[i] (the xs all the same length). */
  mix<O extends OptOut = undefined>(xs: readonly F32Input[], w: ArrayLike<number>, out?: O): OutOf<O> {
    return mix(this.rt, xs, w, out) as OutOf<O>;
  }

  /** Backward of `mix`: dxs[i] = w[i] · dy (where `wantDx[i]`, default all), dw[i] = <dy, xs[i]> (summed in a thread-count-independent order). */
  mixGrad(dy: F32Input, xs: readonly F32Input[], w: ArrayLike<number>, wantDx?: readonly boolean[], outs?: readonly (F32Output | undefined)[]): MixGradResult {
    return mixGrad(this.rt, dy, xs, w, wantDx, outs);
  }

  /** Per-channel scaling y[m, c] = x[m, c] · scale[c] (FBNetV2's channel masks). */
  channelScale<O extends OptOut = undefined>(x: F32Input, scale: F32Input, p: ChannelsShape, out?: O): OutOf<O> {
    return channelScale(this.rt, x, scale, p, out) as OutOf<O>;
  }

  /** Backward of channelScale: dx = dy · scale (unless `wantDx` is false), dm[c] = Σ_rows dy · x (thread-count independent). */
  channelScaleGrad(dy: F32Input, x: F32Input, scale: F32Input, p: ChannelsShape, wantDx = true, out?: F32Output): ChannelScaleGradResult {
    return channelScaleGrad(this.rt, dy, x, scale, p, wantDx, out);
  }

  /** Stops the worker threads. Resident HeapArrays become invalid. */
  dispose(): Promise<void> {
    return this.rt.dispose();
  }
}

/** Compiles the kernels, creates the shared heap and starts the pool (threads - 1 workers). */
export async function loadNativeKernels(options: LoadOptions = {}): Promise<NativeKernels> {
  const caps = nativeCapabilities();
  if (!caps.usable) throw new Error(`native-kernels unavailable: ${caps.reasons.join('; ')}`);
  return new NativeKernels(await createRuntime({ ...options, mainThreadCanWait: options.mainThreadCanWait ?? caps.atomicsWait }));
}

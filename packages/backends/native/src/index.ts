/**
 * @fbnet/native-kernels — hand-written WASM SIMD kernels (conv2d, depthwise, SGEMM, fused
 * batch-norm + activation, softmax-CE, pooling) running on a pool of threads that share one
 * WebAssembly.Memory. See docs/native-kernels.md.
 */
export { loadNativeKernels, NativeKernels, type LoadedCapabilities, type OutOf } from './native-kernels.ts';
export { nativeCapabilities, type NativeCapabilities } from './capabilities.ts';
export { Heap, HeapArray, type F32Input, type F32Output, type HeapStats } from './heap.ts';
export type { LoadOptions, NativeRuntime } from './runtime.ts';
export type { SpawnWorker, WorkerInit, PoolWorker } from './thread-pool.ts';
export type { WasmSource } from './wasm-source.ts';
export type { KernelExports } from './wasm-exports.ts';
export {
  convOutSize,
  type Activation,
  type BatchNormOptions,
  type ChannelsShape,
  type Conv2DShape,
  type DepthwiseShape,
  type FusedEpilogue,
  type PadInfo,
} from './params.ts';
export type { GemmShape } from './kernels/gemm.ts';
export { updateRunningStats, type BatchNormGradResult, type BatchNormTrainResult } from './kernels/batchnorm.ts';
export type { SoftmaxCrossEntropyResult } from './kernels/elementwise.ts';
export type { MixGradResult } from './kernels/mix.ts';
export type { ChannelScaleGradResult } from './kernels/chscale.ts';

export { KernelDispatcher } from './dispatcher.ts';
export { STOCK_VARIANT } from './variant.ts';
export type { KernelImpl, KernelArgs, KernelOutput } from './variant.ts';
export { describeCall } from './call-info.ts';
export type { CallInfo } from './call-info.ts';
export { bindF32Kernel } from './f32-kernel.ts';
export type { F32Kernel, F32Storage } from './f32-kernel.ts';
export { TfjsBackendPlugin } from './plugin-base.ts';
export type { TfjsPluginSpec, InitOptions } from './plugin-base.ts';

export { deviceFingerprint, deviceSlug } from './fingerprint.ts';
export {
  kernelPlanSchema,
  parseKernelPlan,
  planHash,
  planDeviceDifferences,
  checkPlanDevice,
  planFileName,
  planFromTimings,
  fnv1a,
} from './plan.ts';
export type { TimedVariant } from './plan.ts';
export { saveKernelPlan, loadKernelPlan, loadDevicePlan, PLANS_DIR, userPlansDir } from './plan-io.ts';
export type { LoadPlanOptions } from './plan-io.ts';

export { kernelCasesForArch, kernelCasesForSpace, convCases, batchNormCases, dedupe } from './bench/kernel-cases.ts';
export type { KernelCase, ConvCallSpec } from './bench/kernel-cases.ts';
export { benchmarkKernelCases, benchmarkPlan } from './bench/harness.ts';
export { writeDeviceResult, RESULTS_DIR } from './bench/results.ts';
export type { DeviceResults } from './bench/results.ts';
export type { VariantTiming, KernelBenchOptions } from './bench/harness.ts';

export { JS_TRAINING_KERNELS, JS_ELEMENTWISE_KERNELS, JS_FUSED_CONV_KERNELS } from './kernels/index.ts';
export { fusedConv } from './kernels/FusedConv2D.ts';
export { broadcastBinary, broadcastShape } from './math/broadcast.ts';
export type { BinaryOp } from './math/broadcast.ts';
export { reduceSum, reduceSplit, contiguousAxes } from './math/reduce.ts';
export * as jsKernels from './kernels/index.ts';
export { geometryFromInfo, isPlainPointwise } from './math/conv-geometry.ts';
export type { ConvGeometry } from './math/conv-geometry.ts';
export { sgemm, rowMajor, transposed } from './math/gemm.ts';
export type { MatrixView } from './math/gemm.ts';
export { conv2dForward, conv2dBackpropInput, conv2dBackpropFilter } from './math/conv2d.ts';
export { depthwiseForward, depthwiseBackpropInput, depthwiseBackpropFilter } from './math/depthwise.ts';
export { batchNormActForward, batchNormActBackward } from './math/batch-norm-act.ts';

export {
  convConformanceCases,
  depthwiseConformanceCases,
  fusedConvConformanceCases,
  batchNormConformanceCases,
  elementwiseConformanceCases,
  referenceOutputs,
  checkVariants,
} from './testing/conformance.ts';
export type { ConformanceCase, ConformanceInput, ConformanceResult } from './testing/conformance.ts';

export { NATIVE_VARIANT, bindNativeKernel, loadNative, nativeKernelDefs, nativeStatus, nativeF32Kernels, nativeVariants, releaseNative, pendingWriteBackCount, residentCopyCount } from './native/native-variants.ts';
export { maxRelDiff, residentWriteBackChecks, trainingAgainstStock, type ResidentCheck, type TrainingAgainstStock } from './testing/resident.ts';
export type { NativeKernelDef, NativeStatus, NativeVariantOptions } from './native/native-variants.ts';
export { nativeElementwiseDefs } from './native/native-elementwise.ts';
export { nativeSingleThreadDefs, NATIVE_1T_VARIANT, SINGLE_THREAD_MAX_MACS } from './native/native-single-thread.ts';

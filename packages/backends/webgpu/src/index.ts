export { createWebgpuPlugin, webgpuPlugin } from './plugin.ts';
export { gpuAccess } from './gpu.ts';
export type { GpuAccess } from './gpu.ts';
export { countGpuWork, startGpuWorkCounter, isWebgpuBackend, perStep, zeroGpuWork } from './gpu-work.ts';
export type { GpuWorkCounts, GpuWorkCounter, WebgpuBackendLike } from './gpu-work.ts';

export { createWebgpuPlugin, webgpuPlugin } from './plugin.ts';
export { gpuAccess } from './gpu.ts';
export type { GpuAccess } from './gpu.ts';

export { createCpuPlugin, cpuPlugin } from './plugin.ts';
export { cpuStorage } from './storage.ts';

export { createNodeGpuPlugin, nodeGpuPlugin } from './plugin.ts';

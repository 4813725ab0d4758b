export { createWasmPlugin, wasmPlugin } from './plugin.ts';
export { wasmStorage } from './storage.ts';

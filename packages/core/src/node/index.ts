/**
 * `@fbnet/core/node`: file-system helpers shared by the Node-side packages (kept out of the main
 * entry, which is bundled into the browser page of `fbnet lut serve`).
 */
export { fileSlug, safeJoin } from './safe-path.ts';
export { FILE_SIZE_CAPS, formatBytes, readFileCapped, readJsonCapped, readTextCapped } from './read-capped.ts';

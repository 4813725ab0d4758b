import { flag } from '../flags.ts';

/**
 * The backend plugins the CLI can activate: bench's KNOWN_PLUGINS, listed here so `--backend`
 * is checked without loading TF.js (cli-errors.test.ts keeps the two lists equal).
 */
export const BACKEND_IDS = ['cpu', 'wasm', 'webgpu', 'node-gpu'] as const;
export const BACKEND_FLAG = flag.oneOf(BACKEND_IDS);

export { writeFileAtomic, writeJsonAtomic } from './atomic.ts';
export { saveCheckpoint, loadCheckpoint } from './checkpoint.ts';
export type { Checkpoint, TensorMap } from './checkpoint.ts';
export { RunDir, newRunId } from './run-dir.ts';
export type { RunConfig } from './run-dir.ts';

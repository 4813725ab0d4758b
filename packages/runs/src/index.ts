export { writeFileAtomic, writeJsonAtomic } from './atomic.ts';
export { saveCheckpoint, loadCheckpoint } from './checkpoint.ts';
export type { Checkpoint, TensorMap } from './checkpoint.ts';
export { RunDir, newRunId } from './run-dir.ts';
export type { OpenRunOptions, RunConfig } from './run-dir.ts';
export { LOCK_FILE } from './lock.ts';
export type { LockHolder } from './lock.ts';

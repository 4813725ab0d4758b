/**
 * Test helpers for backend plugins (`@fbnet/backend-common/testing`): the conformance suite, the
 * resident-copy checks and the shared training tests. `describeTrainingSuite` registers vitest
 * tests, so import this entry from test files only.
 */
export { describeTrainingSuite } from './testing/training-suite.ts';
export type { TrainingSuiteOptions } from './testing/training-suite.ts';
export { maxRelDiff, residentWriteBackChecks, trainingAgainstStock, type ResidentCheck, type TrainingAgainstStock } from './testing/resident.ts';
// The conformance suite: its cases, references and variant checks (also exported by the main entry).
export * from './testing/conformance.ts';

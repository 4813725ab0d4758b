export { searchV3 } from './search-v3.ts';
export type { SearchV3Context, SearchV3Data, SearchV3Options, SearchV3Result } from './search-v3.ts';
export { adaptJointSpaceToData, scaleConstraintsToSpace, JOINT_SPACE_DATA_SIZE } from './data-space.ts';
export type { DataShape } from './data-space.ts';
export { exportResizingModel, toAreaResizingLayersModel, areaMatrix } from './export-resized.ts';
export type { ExportedResizingModel } from './export-resized.ts';
export { SEARCH_V3_PRESETS } from './presets.ts';
export type { SearchV3Preset } from './presets.ts';
// The pieces the CLI wires for `fbnet worker` and `--queue redis://…`.
export { runWorker, BullmqQueue, InProcessQueue } from '@fbnet/autotrain';
export type { RunWorkerOptions, WorkerHandle, WorkerEvent, EvaluationQueue, CandidateEvent } from '@fbnet/autotrain';
export { jointnasStage } from './stage.ts';
export type { JointnasInput } from './stage.ts';

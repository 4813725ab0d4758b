// Channel masking and resampling primitives
export { prefixOnes, prefixMatrix, jointWeights, jointConfigs, tableMask, tableMasks, maskBank, channelMask, contractTable, isAllOnes } from './masks.ts';
export type { MaskTable } from './masks.ts';
export { addMaskedShortcut } from './masked-shortcut.ts';
export { DMASKING_KERNELS } from './kernel-names.ts';
export { compileFoldPlan, foldStep, hasFoldKernels, FOLD_BACKENDS } from './fold.ts';
export type { FoldMode, FoldPlan, FoldPlanSpec, FoldResult, ParamFold } from './fold.ts';
export { nearestPositions, selectionMatrix, subsample, intersperse, intersperseCoverage } from './resample.ts';

// Supernet
export { planSupernet, compactTable } from './plan.ts';
export type { SlotPlan, CandidatePlan } from './plan.ts';
export { DMaskingSupernet } from './supernet.ts';
export type { ChoiceWeights, ChoiceInfo, DMaskingMode } from './supernet.ts';
export { inheritWeights } from './inherit.ts';

// Search
export { dmaskingStage, dmaskingSearch, dmaskingSpace } from './search.ts';
export type { DMaskingInput, DMaskingOptions, DMaskingResult, DMaskingSearchOptions, DMaskingSearchResult, ResourceKind, ResourceLoss } from './search.ts';
export { spaceAroundArch } from './seed-space.ts';
export type { SpaceAroundArchOptions } from './seed-space.ts';
export { argmaxChoice, sampleChoiceFromProbs, choiceProbability, describeChoice, distributions, probsOf, choiceFrom, optionIndex } from './derive.ts';
export type { DMaskingEvent, DMaskingEventMap, V2ArchSummary, LayerDistribution } from './events.ts';

// Pipeline, export, presets
export { SEARCH_V2_PRESETS } from './presets.ts';
export type { SearchV2Preset } from './presets.ts';
export { exportV2Model, toResizingLayersModel, resizeDataset } from './export.ts';
export type { ExportedV2Model } from './export.ts';

// Benchmarks (`fbnet bench dmasking`)
export { benchDmasking, benchSpace, writeBenchDmasking } from './bench.ts';
export type { BenchDmaskingOptions, BenchDmaskingResult, BenchConfigFigures } from './bench.ts';
export { NaiveChannelSupernet } from './naive.ts';
export type { SearchV2Result } from './result.ts';

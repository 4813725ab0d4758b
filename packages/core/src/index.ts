export { FbnetError, ArchDefError, isFbnetError } from './errors.ts';
export type { FbnetErrorCode, BlockLocation } from './errors.ts';
export { Registry } from './registry.ts';
export { fileSlug } from './file-slug.ts';
export { Rng } from './rng.ts';
export type { RngState } from './rng.ts';

export { getDivisibleBy, py2Round } from './arch-def/divisible.ts';
export { convNode } from './arch-def/block-spec.ts';
export type { Activation, BlockNode, BlockSpec, ConvNode, GlobalPoolNode, SeNode, ShuffleNode } from './arch-def/block-spec.ts';
export { allOpNames } from './arch-def/op-name.ts';
export type { OpFamily, ParsedOpName } from './arch-def/op-name.ts';
export { KNOWN_KWARGS } from './arch-def/kwargs.ts';
export type { BlockKwargs, KwargName } from './arch-def/kwargs.ts';
export { OPS, registerOp } from './arch-def/ops.ts';
export type { OpArgs, OpDefinition } from './arch-def/ops.ts';
export { parseArchDef, archBlocks, formatZodIssues } from './arch-def/arch-def.ts';
export type { ArchDef, BlockTuple, ParsedBlock } from './arch-def/arch-def.ts';
export { resolveArch } from './arch-def/resolve.ts';
export type { ResolvedArch, ResolvedBlock } from './arch-def/resolve.ts';

export {
  parseSearchSpace,
  searchSpaceSchema,
  rangeSpecSchema,
  spaceSlots,
  searchLayers,
  candidateBlock,
  archFromChoice,
  spaceSizeLog10,
  sampleChoice,
} from './search-space/search-space.ts';
export type { SearchSpace, SearchLayer, SpaceSlot, ArchChoice, CandidateDef, RangeSpec } from './search-space/search-space.ts';
export { SEARCH_SPACE_PRESETS, getSearchSpacePreset, FBNET_V1_CANDIDATES } from './search-space/presets.ts';

export { event, ofType, isEventOf, assertSerializable } from './events/events.ts';
export type { EventBase, EventUnion, CoreEvent, CoreEventMap, Stage } from './events/events.ts';

export { shapeKey, safeAvailability } from './plugins/plugin.ts';
export { BACKEND_PLUGINS, PluginRegistry } from './plugins/plugin-registry.ts';
export type { PluginLoader } from './plugins/plugin-registry.ts';
export { canonicalJson, fnv1a, planHash } from './plugins/plan-hash.ts';
export type {
  Availability,
  BackendPlugin,
  DeviceFingerprint,
  KernelPlan,
  KernelPlanEntry,
  KernelShape,
  KernelVariant,
  PluginInitOptions,
} from './plugins/plugin.ts';
export { FBNET_KERNELS } from './plugins/kernels.ts';
export type { BatchNormActAttrs, BatchNormRunningStatsAttrs, FusedActivation, MixAttrs, OptimizerStepAttrs } from './plugins/kernels.ts';
export { kendallTauB } from './stats.ts';
export { osKey } from './plugins/os-key.ts';
export { ARTIFACT_KINDS, defineStage, runStage, stagesSettled, isStageResult } from './stages/stage.ts';
export type {
  ArtifactKind,
  StageCheckpoint,
  StageContext,
  StageEvent,
  StageFn,
  StageIo,
  StageLogEvent,
  StageProgressEvent,
  StageResultEvent,
  StageRun,
  StageStartedEvent,
  RunStageOptions,
} from './stages/stage.ts';

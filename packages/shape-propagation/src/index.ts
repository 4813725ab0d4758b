export { convOutputSize } from './shape.ts';
export type { Shape3 } from './shape.ts';
export { nodeCost, blockCost } from './block-cost.ts';
export type { NodeCost, BlockShapeCost } from './block-cost.ts';
export { archCost, headCost, toResolvedArch } from './arch-cost.ts';
export type { ArchCost, ArchCostOptions, BlockCost, HeadCost, StageCost } from './arch-cost.ts';

export { analyzeEffectiveGraph } from './effective-graph.ts';
export type {
  AnalyzedLayer,
  CostMode,
  EffectiveConv,
  EffectiveCount,
  EffectiveGraph,
  EffectiveInput,
  EffectiveLayer,
  EffectiveMixture,
  EffectiveNode,
  EffectivePath,
  EffectivePool,
  EffectiveSe,
  NodeSpatial,
} from './effective-graph.ts';
export { effectiveCost, effectiveCostValue, propagateEffective } from './effective-cost.ts';
export type { EffectiveCostOptions, EffectiveLayerResult, EffectiveResult, GumbelWeights } from './effective-cost.ts';
export { archCostGraph, effectiveNodeOf, headLayer, isDepthwiseLike } from './arch-graph.ts';
export type { ArchCostGraphOptions } from './arch-graph.ts';
export { compactCount, mergeBlockSpecs } from './merge-specs.ts';
export { spaceCostGraph, spaceWeights, oneHotWeights, spaceChoiceKey } from './space-graph.ts';
export type { SpaceWeights } from './space-graph.ts';

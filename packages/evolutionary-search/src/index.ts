export { ConstraintChecker, lutLatency } from './constraints.ts';
export type { Constraints, CostReport, LatencyModel } from './constraints.ts';
export { mutate, mutateValue, crossover, constrained } from './operators.ts';
export { evolutionarySearch, runEvolution } from './evolution.ts';
export type { EvolutionOptions, EvolutionResult, EvolutionEvent, EvolutionEventMap, ScoredCandidate } from './evolution.ts';

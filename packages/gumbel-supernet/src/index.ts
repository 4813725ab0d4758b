export { gumbelSoftmax, stopGradient, temperatureAt, temperatureDecay, thetaProbs, sampleFromTheta, argmaxTheta } from './gumbel.ts';
export { latencyAwareLoss } from './loss.ts';
export type { LatencyLossOptions } from './loss.ts';
export { Supernet } from './supernet.ts';
export type { MixMode, SupernetLatency } from './supernet.ts';
export { SupernetSearch } from './search.ts';
export type { SupernetSearchOptions, SupernetSearchResult } from './search.ts';
export type { ArchSummary, SupernetEvent, SupernetEventMap } from './events.ts';
export { pathAccuracy } from './path-accuracy.ts';

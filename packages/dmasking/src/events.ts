import type { ArchChoice, ArchDef, CoreEventMap, EventUnion } from '@fbnet/core';

/** One sampled or derived V2 architecture, as the report and the CLI see it. */
export interface V2ArchSummary {
  choice: ArchChoice;
  /** Candidate id per searchable layer (e.g. "k3"). */
  ops: string[];
  /** Output channels per searchable layer. */
  channels: number[];
  /** Expansion per searchable layer (null where the candidate has none, or the layer does not search it). */
  expansions: (number | null)[];
  /** Input resolution the arch runs at. */
  resolution: number;
  arch: ArchDef;
  /** FLOPs / params of the derived arch (the `fbnet cost` convention). */
  flops: number;
  params: number;
  /** LAT(a) from the latency table, when the search had one (ms). */
  latencyMs?: number;
  /** Probability of this arch under P_α (product over choices). */
  probability: number;
  /** Accuracy of the supernet restricted to this arch (shared weights, BN re-estimated), on the θ split. */
  supernetAccuracy?: number;
}

/** P_α of one searchable layer's choices (absent: not searched at that layer). */
export interface LayerDistribution {
  layer: number;
  ops?: number[];
  channels?: number[];
  expansions?: number[];
}

export type DMaskingEventMap = CoreEventMap & {
  'dmasking/started': {
    /** Every searched dimension: key (`op/3`, `channels/3`, `expansion/3`, `resolution`) and its options. */
    choices: { key: string; kind: string; layer?: number; options: (string | number)[] }[];
    layers: number;
    epochs: number;
    resumedAtEpoch: number;
    params: number;
    resource: 'flops' | 'params' | 'latency';
    /** log10 of the number of archs the space encodes. */
    spaceSizeLog10: number;
  };
  'dmasking/epoch-ended': {
    epoch: number;
    temperature: number;
    weightLoss: number;
    weightCe: number;
    thetaLoss?: number;
    thetaCe?: number;
    thetaAccuracy?: number;
    /** Effective FLOPs / params (eq. 5-10) at P_α, and mean of the Gumbel samples' during the epoch. */
    effectiveFlops: number;
    effectiveParams: number;
    sampledFlops: number;
    /** E[LAT] at P_α (ms), when searching with a latency table. */
    expectedLatencyMs?: number;
    /** FLOPs of argmax P_α now (what would be derived if the search stopped here). */
    argmaxFlops: number;
    lrWeights: number;
    seconds: number;
    imagesPerSec: number;
  };
  /** P_α per searchable layer and of the resolution after an epoch. */
  'dmasking/distributions': { epoch: number; layers: LayerDistribution[]; resolution?: number[]; resolutions?: number[] };
  'dmasking/checkpoint-saved': { epoch: number };
  'search/arch-sampled': { archs: V2ArchSummary[] };
  'search/arch-derived': V2ArchSummary;
};

export type DMaskingEvent = EventUnion<DMaskingEventMap>;

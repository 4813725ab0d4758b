import type { ArchChoice, ArchDef, CoreEventMap, EventUnion } from '@fbnet/core';

/** One sampled or derived architecture, as the report and the CLI see it. */
export interface ArchSummary {
  choice: ArchChoice;
  /** Candidate id per searchable layer (e.g. "k3_e6"). */
  ops: string[];
  arch: ArchDef;
  /** Σ_l LAT(b_l) from the latency table, milliseconds. */
  latencyMs: number;
  /** Probability of this arch under P_θ (eq. 6). */
  probability: number;
  /** Accuracy of the supernet restricted to this arch (shared weights), on the θ split. */
  supernetAccuracy?: number;
}

export type SupernetEventMap = CoreEventMap & {
  'supernet/started': { layers: number; candidates: string[][]; epochs: number; resumedAtEpoch: number; params: number };
  'supernet/epoch-ended': {
    epoch: number;
    temperature: number;
    /** Mean loss of the weight phase (eq. 2), its cross-entropy and expected latency (eq. 9, ms). */
    weightLoss: number;
    weightCe: number;
    /** Mean loss / CE / expected latency of the θ phase (absent during warm-up). */
    thetaLoss?: number;
    thetaCe?: number;
    latencyMs: number;
    /** Accuracy of the soft supernet on the θ split. */
    thetaAccuracy?: number;
    lrWeights: number;
    seconds: number;
    imagesPerSec: number;
  };
  /** P_θ per searchable layer after an epoch (softmax of θ, eq. 4). */
  'supernet/theta': { epoch: number; probs: number[][] };
  'supernet/checkpoint-saved': { epoch: number };
  'search/arch-sampled': { archs: ArchSummary[] };
  'search/arch-derived': ArchSummary;
};

export type SupernetEvent = EventUnion<SupernetEventMap>;

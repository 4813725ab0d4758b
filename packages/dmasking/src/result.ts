import type { ResourceKind } from './search.ts';

/** What `fbnet search v2` reports (its result.json; the report reads it). */
export interface SearchV2Result {
  testAccuracy: number;
  valAccuracy?: number;
  params: number;
  flops: number;
  /** Measured batch-1 latency of the derived net on this backend (at its resolution). */
  latencyMs: number;
  /** LAT(a) from the latency table (the space's, or one measured for the derived arch). */
  predictedLatencyMs: number;
  backend: string;
  /** Candidate id, width and expansion per searchable layer; the input resolution. */
  arch: string[];
  channels: number[];
  expansions: (number | null)[];
  resolution: number;
  /** The exported model's input (raw pixels; it resizes to `resolution` inside). */
  modelInputSize: number;
  resource: ResourceKind;
  archPath: string;
  modelPath: string;
  runDir: string;
  seconds: { lut: number; search: number; train: number; total: number };
}

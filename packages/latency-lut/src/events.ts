import type { Subscriber } from 'rxjs';
import { event, type CoreEventMap, type EventUnion } from '@fbnet/core';
import type { LatencyTable, LutCorrection } from './schema.ts';
import type { ValidationReport } from './validate-report.ts';

export const LUT_STAGE = 'latency-lut';

/** Events of the latency-lut stages (plain data; the finished table travels as JSON). */
export type LutEventMap = {
  /** What a measure run will do: entries the source needs, how many a resumed table already has. */
  'lut/measure-planned': { total: number; existing: number; toMeasure: number; backend: string; path?: string };
  'lut/entry-measured': {
    key: string;
    kind: 'input' | 'block' | 'head';
    opType: string;
    input: [number, number, number];
    medianMs: number;
    p10Ms: number;
    p90Ms: number;
    samples: number;
    /** 1-based count of entries measured in this run, of `total` to measure. */
    done: number;
    total: number;
  };
  'lut/saved': { path: string; entries: number };
  'lut/completed': { table: LatencyTable; path?: string; measured: number; reused: number; elapsedSec: number };
  /** One end-to-end net measured during calibration or validation. */
  'lut/arch-measured': {
    phase: 'calibration' | 'validation';
    index: number;
    /** 1-based validation round (`repeat`); calibration nets are timed in round 1 only. */
    round?: number;
    name: string;
    predictedMs: number;
    correctedMs?: number;
    measuredMs: number;
    p10Ms: number;
    p90Ms: number;
  };
  'lut/correction-fitted': { correction: LutCorrection };
  /** One validation round done (of `repeat`): the figures of the predictor search uses. */
  'lut/validation-round': { round: number; of: number; mape: number; within10: number; kendallTau: number };
  'lut/validated': { report: ValidationReport };
};
export type LutOwnEvent = EventUnion<LutEventMap>;
/** Everything a latency-lut stage emits: its own events and the core stage lifecycle ones. */
export type LutStreamEventMap = LutEventMap & Pick<CoreEventMap, 'stage/started' | 'stage/progress' | 'stage/completed'>;
export type LutEvent = EventUnion<LutStreamEventMap>;

/** `emit(type, payload)` onto a subscriber, silent once the stage was cancelled. */
export function lutEmitter(sub: Subscriber<LutEvent>, signal: AbortSignal) {
  return <K extends keyof LutStreamEventMap>(type: K, payload: LutStreamEventMap[K]): void => {
    if (!signal.aborted) sub.next(event<LutStreamEventMap, K>(type, payload) as unknown as LutEvent);
  };
}

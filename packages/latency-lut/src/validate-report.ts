import type { FitFigures } from './metrics.ts';
import type { LutCorrection, LutDevice, LutTiming } from './schema.ts';

/** Version of the validation report format; version 1 files (one round, no spread) are still read. */
export const VALIDATION_FORMAT_VERSION = 2;
export const VALIDATION_KIND = 'fbnet-lut-validation';

export interface ArchValidation {
  name: string;
  /** Op choice per searchable layer (indices into each layer's candidates). */
  ops: number[];
  /** Round 1 (see ValidationReport): the plain block sum. */
  predictedMs: number;
  correctedMs?: number;
  /** Round 1: the whole net's median end-to-end time, and its p10/p90. */
  measuredMs: number;
  measuredP10Ms: number;
  measuredP90Ms: number;
  /**
   * Round 1: the band the entries' own spread gives the prediction search uses — every step at
   * its p10 (low) or p90 (high), as a share of its median, scaled onto the step's `ms` and summed
   * (then corrected, with a correction). A net whose measured median lies outside is off by more
   * than the entries' timing noise explains.
   */
  predictedLowMs?: number;
  predictedHighMs?: number;
  outsideSpread?: boolean;
  /** The net's median in every validation round (`repeat`), round 1 first. */
  measuredRoundsMs?: number[];
  /** (max − min) / median of `measuredRoundsMs`, in percent: how far the rounds disagree on this net. */
  roundSpreadPct?: number;
}

/** How well the table predicted in one validation round (the nets timed end to end afresh). */
export interface ValidationRound {
  /** 1-based. */
  round: number;
  startedAt: string;
  elapsedSec: number;
  predictor: 'plain' | 'corrected';
  mape: number;
  within10: number;
  kendallTau: number;
  plain: FitFigures;
  corrected?: FitFigures;
  /** Validation archs whose measured median lies outside the band of the entries' spread. */
  outsideSpread: number;
  /** Per arch, in the order of `archs`: this round's measured median and predictions. */
  measuredMs: number[];
  predictedMs: number[];
  correctedMs?: number[];
}

/** Agreement of two rounds' measured end-to-end latencies of the same archs (`b` read as a prediction of `a`). */
export interface RoundAgreement {
  a: number;
  b: number;
  /** Mean |m_b − m_a| / m_a, in percent. */
  mape: number;
  within10: number;
  kendallTau: number;
  /** Median over archs of m_b / m_a (1: no drift; 1.2: round b ran 20% slower). */
  medianRatio: number;
}

/**
 * Repeatability of the validation itself: the same nets timed in `rounds` rounds, one after
 * the other. Every later round is compared with round 1; the headline figures are the worst pair.
 */
export interface ValidationRepeatability {
  rounds: number;
  pairs: RoundAgreement[];
  /** Lowest τ-b and highest MAPE over the pairs. */
  kendallTau: number;
  mape: number;
  /** Median and largest per-arch `roundSpreadPct`. */
  medianSpreadPct: number;
  maxSpreadPct: number;
}

/**
 * How well a table predicts end-to-end latency on its device. The top-level `mape`,
 * `within10`, `kendallTau` and `archs` are those of **round 1** (the first of `repeat`
 * validations; with `repeat: 1` the report is what a single validation gives), for the
 * predictor search uses (`predictor`): corrected when the table carries a correction, the
 * plain sum otherwise. `rounds` holds every round's figures, `repeatability` how they agree.
 */
export interface ValidationReport {
  kind: typeof VALIDATION_KIND;
  version: 1 | 2;
  createdAt: string;
  backend: string;
  device: LutDevice;
  space: string;
  samples: number;
  calibrationSamples: number;
  seed: number;
  timing: LutTiming;
  /** Hash of the validated table as given (device, timing, entries): re-validations of one table share it. */
  lutHash?: string;
  predictor: 'plain' | 'corrected';
  mape: number;
  within10: number;
  kendallTau: number;
  plain: FitFigures;
  corrected?: FitFigures;
  correction?: Pick<LutCorrection, 'model' | 'offsetMs' | 'scale' | 'opWeights'> & { looMape: Record<string, number> };
  /** Round 1: validation archs outside the band of their entries' spread (see ArchValidation). */
  outsideSpread?: { count: number; share: number };
  /** Fingerprint fields that differed from the table's when it was forced. */
  forcedDifferences?: { field: string; table: string; current: string }[];
  /** The table's entries were re-timed alongside the nets (validateLut `concurrent`), in every round. */
  concurrent?: boolean;
  elapsedSec: number;
  archs: ArchValidation[];
  /** Every validation round (version 2); absent in version 1 files (one round). */
  rounds?: ValidationRound[];
  /** With two or more rounds. */
  repeatability?: ValidationRepeatability;
  /** With `against`: the drift since an earlier validation of the same table. */
  drift?: import('./validation-drift.ts').ValidationDrift;
}

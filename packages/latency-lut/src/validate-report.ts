import type { FitFigures } from './metrics.ts';
import type { LutCorrection, LutDevice, LutTiming } from './schema.ts';

export interface ArchValidation {
  name: string;
  /** Op choice per searchable layer (indices into each layer's candidates). */
  ops: number[];
  predictedMs: number;
  correctedMs?: number;
  measuredMs: number;
  measuredP10Ms: number;
  measuredP90Ms: number;
}

/**
 * How well a table predicts end-to-end latency on its device. The top-level `mape`,
 * `within10` and `kendallTau` are those of the predictor search uses (`predictor`):
 * corrected when the table carries a correction, the plain sum otherwise.
 */
export interface ValidationReport {
  kind: 'fbnet-lut-validation';
  version: 1;
  createdAt: string;
  backend: string;
  device: LutDevice;
  space: string;
  samples: number;
  calibrationSamples: number;
  seed: number;
  timing: LutTiming;
  predictor: 'plain' | 'corrected';
  mape: number;
  within10: number;
  kendallTau: number;
  plain: FitFigures;
  corrected?: FitFigures;
  correction?: Pick<LutCorrection, 'model' | 'offsetMs' | 'scale' | 'opWeights'> & { looMape: Record<string, number> };
  /** Fingerprint fields that differed from the table's when it was forced. */
  forcedDifferences?: { field: string; table: string; current: string }[];
  /** The table's entries were re-timed alongside the nets (validateLut `concurrent`). */
  concurrent?: boolean;
  elapsedSec: number;
  archs: ArchValidation[];
}

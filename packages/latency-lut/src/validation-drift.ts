import { FbnetError, kendallTauB } from '@fbnet/core';
import { fingerprintDifferences } from './device.ts';
import { quantileSorted } from './timing.ts';
import type { ValidationReport } from './validate-report.ts';

/** One arch validated in both reports: its measured end-to-end median then and now. */
export interface ArchDrift {
  name: string;
  ops: number[];
  earlierMs: number;
  laterMs: number;
  /** laterMs / earlierMs. */
  ratio: number;
}

/** A validation's headline, as compared. */
export interface ValidationHeadline {
  createdAt: string;
  lutHash?: string;
  predictor: 'plain' | 'corrected';
  mape: number;
  within10: number;
  kendallTau: number;
}

/**
 * How the measured end-to-end latencies of the same archs moved between an earlier and a later
 * validation of one table (round 1 of each: the top-level `archs`). If the machine did not
 * drift, `medianRatio` is ~1, τ ~1 and the MAPE is the timing noise; the predictive figures of
 * both reports say whether the table still holds.
 */
export interface ValidationDrift {
  earlier: ValidationHeadline;
  later: ValidationHeadline;
  minutesApart: number;
  /** Both reports name the hash of the table they validated, and it is the same (undefined: not known). */
  sameTable?: boolean;
  /** Archs present in both (matched by op choice). */
  common: number;
  /** Median over common archs of later / earlier measured latency. */
  medianRatio: number;
  /** Kendall τ-b between the earlier and the later measured latencies. */
  kendallTau: number;
  /** Mean |later − earlier| / earlier, in percent. */
  mape: number;
  /** Share of common archs whose later latency is within ±10% of the earlier. */
  within10: number;
  archs: ArchDrift[];
  /** Why the comparison may not be like for like (another space, backend, device, table). */
  warnings: string[];
}

const headline = (r: ValidationReport): ValidationHeadline => ({
  createdAt: r.createdAt,
  lutHash: r.lutHash,
  predictor: r.predictor,
  mape: r.mape,
  within10: r.within10,
  kendallTau: r.kendallTau,
});

/** Compare a later validation of a table with an earlier one. Throws when they share no arch. */
export function compareValidations(earlier: ValidationReport, later: ValidationReport): ValidationDrift {
  const warnings: string[] = [];
  if (earlier.space !== later.space) warnings.push(`space: earlier "${earlier.space}", later "${later.space}"`);
  if (earlier.backend !== later.backend) warnings.push(`backend: earlier "${earlier.backend}", later "${later.backend}"`);
  for (const d of fingerprintDifferences(earlier.device, later.device)) warnings.push(`device ${d.field}: earlier "${d.table}", later "${d.current}"`);
  const sameTable = earlier.lutHash && later.lutHash ? earlier.lutHash === later.lutHash : undefined;
  if (sameTable === false) warnings.push('the two validations are of different tables (or of a table re-measured in between)');
  const before = new Map(earlier.archs.map((a) => [JSON.stringify(a.ops), a]));
  const archs: ArchDrift[] = [];
  for (const a of later.archs) {
    const e = before.get(JSON.stringify(a.ops));
    if (e) archs.push({ name: a.name, ops: a.ops, earlierMs: e.measuredMs, laterMs: a.measuredMs, ratio: a.measuredMs / e.measuredMs });
  }
  if (!archs.length) {
    throw new FbnetError(
      'USAGE',
      `the validations have no arch in common (earlier: ${earlier.space}, seed ${earlier.seed}; later: ${later.space}, seed ${later.seed}): validate with the same space and seed`,
    );
  }
  if (archs.length < later.archs.length) {
    warnings.push(`only ${archs.length} of the ${later.archs.length} archs validated now were validated then (another seed or calibration count?)`);
  }
  const ratios = Float64Array.from(archs.map((a) => a.ratio)).sort();
  const abs = archs.map((a) => Math.abs(a.ratio - 1));
  return {
    earlier: headline(earlier),
    later: headline(later),
    minutesApart: (Date.parse(later.createdAt) - Date.parse(earlier.createdAt)) / 60000,
    sameTable,
    common: archs.length,
    medianRatio: quantileSorted(ratios, 0.5),
    kendallTau: archs.length > 1 ? kendallTauB(archs.map((a) => a.earlierMs), archs.map((a) => a.laterMs)) : NaN,
    mape: (100 * abs.reduce((s, x) => s + x, 0)) / archs.length,
    within10: abs.filter((x) => x <= 0.1).length / archs.length,
    archs,
    warnings,
  };
}

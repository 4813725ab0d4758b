import { z } from 'zod';
import { FbnetError, formatZodIssues } from '@fbnet/core';
import { FILE_SIZE_CAPS, readTextCapped } from '@fbnet/core/node';
import { deviceFingerprintSchema, jsonInput, timingSchema } from './schema.ts';
import { VALIDATION_FORMAT_VERSION, VALIDATION_KIND, type ValidationReport } from './validate-report.ts';

const num = z.number();
const fit = z.object({ mape: num, within10: num, kendallTau: num, maxAbsErrPct: num, biasPct: num });
const predictor = z.enum(['plain', 'corrected']);

const archSchema = z.object({
  name: z.string(),
  ops: z.array(z.number().int().nonnegative()),
  predictedMs: num,
  correctedMs: num.optional(),
  measuredMs: z.number().positive(),
  measuredP10Ms: num,
  measuredP90Ms: num,
  predictedLowMs: num.optional(),
  predictedHighMs: num.optional(),
  outsideSpread: z.boolean().optional(),
  measuredRoundsMs: z.array(num).optional(),
  roundSpreadPct: num.optional(),
});

const roundSchema = z.object({
  round: z.number().int().positive(),
  startedAt: z.string(),
  elapsedSec: num,
  predictor,
  mape: num,
  within10: num,
  kendallTau: num,
  plain: fit,
  corrected: fit.optional(),
  outsideSpread: z.number().int().nonnegative(),
  measuredMs: z.array(num),
  predictedMs: z.array(num),
  correctedMs: z.array(num).optional(),
});

const headline = z.object({ createdAt: z.string(), lutHash: z.string().optional(), predictor, mape: num, within10: num, kendallTau: num });

/**
 * A validation report file (`fbnet lut validate --json` / `--out`). Unknown top-level keys are
 * dropped, not refused: the committed results wrap a report with the run's context (plugins,
 * kernel plan, load average). Version 1 (one round, no spread, no repeatability) is read as is.
 */
export const validationReportSchema = z.object({
  kind: z.literal(VALIDATION_KIND),
  version: z.union([z.literal(1), z.literal(VALIDATION_FORMAT_VERSION)]),
  createdAt: z.string(),
  backend: z.string(),
  device: deviceFingerprintSchema,
  space: z.string(),
  samples: z.number().int().nonnegative(),
  calibrationSamples: z.number().int().nonnegative(),
  seed: z.number().int(),
  timing: timingSchema,
  lutHash: z.string().optional(),
  predictor,
  mape: num,
  within10: num,
  kendallTau: num,
  plain: fit,
  corrected: fit.optional(),
  correction: z
    .object({ model: z.enum(['none', 'offset', 'affine', 'per-op']), offsetMs: num, scale: num, opWeights: z.record(z.string(), num), looMape: z.record(z.string(), num) })
    .optional(),
  outsideSpread: z.object({ count: z.number().int().nonnegative(), share: num }).optional(),
  forcedDifferences: z.array(z.object({ field: z.string(), table: z.string(), current: z.string() })).optional(),
  concurrent: z.boolean().optional(),
  elapsedSec: num,
  archs: z.array(archSchema).min(1),
  rounds: z.array(roundSchema).optional(),
  repeatability: z
    .object({
      rounds: z.number().int().positive(),
      pairs: z.array(z.object({ a: z.number().int(), b: z.number().int(), mape: num, within10: num, kendallTau: num, medianRatio: num })),
      kendallTau: num,
      mape: num,
      medianSpreadPct: num,
      maxSpreadPct: num,
    })
    .optional(),
  drift: z
    .object({
      earlier: headline,
      later: headline,
      minutesApart: num,
      sameTable: z.boolean().optional(),
      common: z.number().int().positive(),
      medianRatio: num,
      kendallTau: num.nullable(),
      mape: num,
      within10: num,
      archs: z.array(z.object({ name: z.string(), ops: z.array(z.number().int()), earlierMs: num, laterMs: num, ratio: num })),
      warnings: z.array(z.string()),
    })
    .optional(),
});

/** Validate a validation report (object or JSON text); errors name the field. */
export function parseValidationReport(input: unknown, what = 'validation report'): ValidationReport {
  const r = validationReportSchema.safeParse(jsonInput(input, what));
  if (!r.success) throw new FbnetError('FILE_INVALID', `invalid ${what}: ${formatZodIssues(r.error)}`);
  const rep = r.data as ValidationReport;
  if (rep.rounds) {
    rep.rounds.forEach((round, i) => {
      if (round.measuredMs.length !== rep.archs.length) {
        throw new FbnetError('FILE_INVALID', `invalid ${what}: rounds.${i}.measuredMs: ${round.measuredMs.length} values for ${rep.archs.length} archs`);
      }
    });
  }
  return rep;
}

/** Read (size-capped) and validate a validation report file. */
export function loadValidationReport(path: string): ValidationReport {
  return parseValidationReport(readTextCapped(path, 'validation report', FILE_SIZE_CAPS.latencyTable), `validation report ${path}`);
}

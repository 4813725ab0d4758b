import { lastValueFrom, Observable, tap } from 'rxjs';
import { archFromChoice, FbnetError, Rng, sampleChoice, searchLayers, type ArchChoice, type SearchSpace } from '@fbnet/core';
import { fitCorrection, type CalibrationPoint, type CorrectionModel } from './correction.ts';
import { assertLutDevice } from './device.ts';
import { LUT_STAGE, lutEmitter, type LutEvent } from './events.ts';
import { activateBackend, type LutContext } from './measure-lut.ts';
import { measureProbes, netProbe } from './measure-probes.ts';
import { fitFigures } from './metrics.ts';
import { nodeFingerprint } from './node-device.ts';
import { archLatency } from './predict.ts';
import { lutEntryMap, type LatencyTable } from './schema.ts';
import { loadSearchSpace } from './space-source.ts';
import { loadLut } from './storage.ts';
import { MeasurementAborted, resolveTiming, type TimingOptions } from './timing.ts';
import type { ArchValidation, ValidationReport } from './validate-report.ts';

export interface ValidateLutInput {
  /** The table (object) or a path to its file. */
  lut: LatencyTable | string;
  /** Space to sample from; default: the (first) space the table was measured for. */
  space?: SearchSpace | string;
  /** Number of validation archs (sampled uniformly, seeded). */
  samples: number;
  /**
   * Calibration archs (disjoint from the validation ones) to fit the correction on. Default:
   * 0 when the table already has a correction, else 24. With `refit`, the table's correction is replaced.
   */
  calibrationSamples?: number;
  refit?: boolean;
  models?: readonly CorrectionModel[];
  seed?: number;
  /** Use a table from another device or version anyway. */
  force?: boolean;
  /** Nets timed together in interleaved rounds (default 6). */
  groupSize?: number;
  /** Timing of the end-to-end measurements; default: the table's own. */
  timing?: Partial<TimingOptions>;
}

export interface ValidationResult {
  report: ValidationReport;
  /** The table, with the correction fitted here when one was. */
  table: LatencyTable;
}

function choiceKey(c: ArchChoice): string {
  return JSON.stringify(c);
}

/** Distinct archs sampled from the space, none of which is in `exclude`. */
export function sampleDistinct(space: SearchSpace, rng: Rng, n: number, exclude: Set<string>): ArchChoice[] {
  const out: ArchChoice[] = [];
  const seen = new Set(exclude);
  let tries = 0;
  while (out.length < n && tries < n * 50 + 100) {
    tries++;
    const c = sampleChoice(space, rng);
    const k = choiceKey(c);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(c);
  }
  return out;
}

/**
 * Stage: how well the table predicts whole-net latency here. Samples `samples` archs from
 * the space (seeded), builds each as a whole `Net`, times it end to end at batch 1 with the
 * table's timing method, and compares with the plain block sum (eq. 3) and the corrected
 * one. If asked (or the table has none), first fits the correction on separate calibration
 * archs. Emits `lut/arch-measured` + `stage/progress` per net, `lut/correction-fitted`, then `lut/validated`.
 */
export function validateLutStage(input: ValidateLutInput, context: LutContext & { onTable?: (t: LatencyTable) => void }): Observable<LutEvent> {
  return new Observable<LutEvent>((sub) => {
    const ac = new AbortController();
    const emit = lutEmitter(sub, ac.signal);
    const run = async () => {
      const started = performance.now();
      let lut = typeof input.lut === 'string' ? loadLut(input.lut) : input.lut;
      const spaceArg = input.space ?? lut.sources.find((s) => s.kind === 'space')?.space;
      if (!spaceArg) throw new FbnetError('USAGE', 'the table was measured for arch defs, not a search space: give a space to sample validation archs from');
      const space = loadSearchSpace(spaceArg as SearchSpace | string);
      if (!searchLayers(space).length) throw new FbnetError('USAGE', `space "${space.name}" has no searchable layers to sample`);
      await activateBackend(context);
      const device = context.device ?? nodeFingerprint(context.backend, context.plan);
      const forcedDifferences = assertLutDevice(lut, device, { force: input.force });
      const timing = resolveTiming({ ...lut.timing, ...input.timing });
      const seed = input.seed ?? 0;
      const rng = new Rng(seed);
      const nCal = input.calibrationSamples ?? (lut.correction && !input.refit ? 0 : 24);
      const calibration = sampleDistinct(space, rng.fork('calibration'), nCal, new Set());
      const validation = sampleDistinct(space, rng.fork('validation'), input.samples, new Set(calibration.map(choiceKey)));
      const total = calibration.length + validation.length;
      emit('stage/started', { stage: LUT_STAGE, config: { phase: 'validate', backend: context.backend.id, samples: validation.length, calibration: calibration.length } });
      const entries = lutEntryMap(lut);
      let done = 0;
      const groupSize = Math.max(1, input.groupSize ?? 6);
      const measureAll = async (choices: ArchChoice[], phase: 'calibration' | 'validation') => {
        const out: (ArchValidation & { steps: CalibrationPoint['steps'] })[] = [];
        for (let start = 0; start < choices.length; start += groupSize) {
          if (ac.signal.aborted) throw new MeasurementAborted();
          const group = choices.slice(start, start + groupSize).map((choice) => {
            const def = archFromChoice(space, choice);
            return { choice, def, pred: archLatency(lut, def, { entries }) };
          });
          const stats = await measureProbes(
            group.map((g) => () => netProbe(g.def, seed)),
            timing,
            { signal: ac.signal },
          );
          for (const [k, g] of group.entries()) {
            const m = stats[k];
            const i = start + k;
            const row = {
              name: g.def.name ?? `${phase}-${i}`,
              ops: g.choice.ops,
              predictedMs: g.pred.plainMs,
              correctedMs: g.pred.correctedMs,
              measuredMs: m.medianMs,
              measuredP10Ms: m.p10Ms,
              measuredP90Ms: m.p90Ms,
              steps: g.pred.steps,
            };
            out.push(row);
            done++;
            emit('lut/arch-measured', { phase, index: i, name: row.name, predictedMs: row.predictedMs, correctedMs: row.correctedMs, measuredMs: row.measuredMs, p10Ms: m.p10Ms, p90Ms: m.p90Ms });
            const perNet = (performance.now() - started) / 1000 / done;
            emit('stage/progress', { stage: LUT_STAGE, phase, done, total, etaSec: perNet * (total - done) });
          }
        }
        return out;
      };
      if (calibration.length) {
        const cal = await measureAll(calibration, 'calibration');
        const correction = fitCorrection(
          cal.map((r) => ({ steps: r.steps, measuredMs: r.measuredMs })),
          { seed, models: input.models },
        );
        lut = { ...lut, correction };
        context.onTable?.(lut);
        emit('lut/correction-fitted', { correction });
      }
      const val = await measureAll(validation, 'validation');
      const rows: ArchValidation[] = val.map(({ steps: _steps, ...r }) => r);
      const measured = rows.map((r) => r.measuredMs);
      const plain = fitFigures(rows.map((r) => r.predictedMs), measured);
      const corrected = lut.correction ? fitFigures(rows.map((r) => r.correctedMs!), measured) : undefined;
      const top = corrected ?? plain;
      const report: ValidationReport = {
        kind: 'fbnet-lut-validation',
        version: 1,
        createdAt: new Date().toISOString(),
        backend: context.backend.id,
        device,
        space: space.name,
        samples: rows.length,
        calibrationSamples: calibration.length,
        seed,
        timing,
        predictor: corrected ? 'corrected' : 'plain',
        mape: top.mape,
        within10: top.within10,
        kendallTau: top.kendallTau,
        plain,
        corrected,
        correction: lut.correction
          ? { model: lut.correction.model, offsetMs: lut.correction.offsetMs, scale: lut.correction.scale, opWeights: lut.correction.opWeights, looMape: lut.correction.calibration.looMape }
          : undefined,
        forcedDifferences: forcedDifferences.length ? forcedDifferences : undefined,
        elapsedSec: (performance.now() - started) / 1000,
        archs: rows,
      };
      emit('lut/validated', { report });
      emit('stage/completed', { stage: LUT_STAGE, result: { phase: 'validate', mape: report.mape, within10: report.within10, kendallTau: report.kendallTau } });
      context.onTable?.(lut);
    };
    run().then(
      () => sub.complete(),
      (e) => {
        if (ac.signal.aborted && e instanceof MeasurementAborted) return;
        if (!ac.signal.aborted) sub.error(e);
      },
    );
    return () => ac.abort();
  });
}

/** `fbnet lut validate`: run the validation stage to the end; progress goes to `onEvent`. */
export async function validateLut(input: ValidateLutInput, context: LutContext & { onEvent?: (e: LutEvent) => void }): Promise<ValidationResult> {
  let report: ValidationReport | undefined;
  let table: LatencyTable | undefined;
  await lastValueFrom(
    validateLutStage(input, { ...context, onTable: (t) => (table = t) }).pipe(
      tap((e) => {
        if (e.type === 'lut/validated') report = e.report;
        context.onEvent?.(e);
      }),
    ),
    { defaultValue: undefined },
  );
  if (!report || !table) throw new FbnetError('USAGE', 'validation ended without a report');
  return { report, table };
}

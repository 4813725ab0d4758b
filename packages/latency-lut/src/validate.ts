import { lastValueFrom, Observable, tap } from 'rxjs';
import { archFromChoice, FbnetError, resolveArch, Rng, sampleChoice, searchLayers, type ArchChoice, type ArchDef, type SearchSpace } from '@fbnet/core';
import { fitCorrection, type CalibrationPoint, type CorrectionModel } from './correction.ts';
import { assertLutDevice } from './device.ts';
import { LUT_STAGE, lutEmitter, type LutEvent } from './events.ts';
import { activateBackend, type LutContext } from './measure-lut.ts';
import { planSpaceContexts } from './context-plan.ts';
import { spaceEntries } from './enumerate.ts';
import { ContextUnit, isSynchronousBackend } from './measure-context.ts';
import { measureProbes, netProbe, ProbeUnit } from './measure-probes.ts';
import { runInterleaved, type TimingUnit } from './timing-units.ts';
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
  /**
   * Re-time the table's entries (its space) alongside the calibration and validation nets,
   * all in the same interleaved rounds, so the table and the nets see the same machine load;
   * the report and the returned table use these entries. For shared or throttling machines,
   * where load drifts between measuring a table and validating it.
   */
  concurrent?: boolean;
  /** Timing of the end-to-end measurements; default: the table's own. */
  timing?: Partial<TimingOptions>;
}

export interface ValidationResult {
  report: ValidationReport;
  /** The table, with the correction fitted here when one was. */
  table: LatencyTable;
}

/** Conv weights of an arch (enough to decide whether many of its nets fit in memory at once). */
function approxParams(def: ArchDef): number {
  const r = resolveArch(def);
  let n = r.head.inChannels * r.head.numClasses;
  for (const b of r.blocks) for (const x of b.spec.nodes) if (x.kind === 'conv') n += (x.kernel * x.kernel * x.inChannels * x.outChannels) / x.groups;
  return n;
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
      // 1. Time the nets (and, concurrently, the table's entries), 2. predict, 3. fit, 4. compare.
      type Measured = { medianMs: number; p10Ms: number; p90Ms: number };
      const choices = [...calibration, ...validation];
      const defs = choices.map((c) => archFromChoice(space, c));
      let measuredNets: Measured[];
      let done = 0;
      if (input.concurrent) {
        const lazy = !isSynchronousBackend();
        const plan = planSpaceContexts(space, new Set(spaceEntries(space).map((e) => e.key)));
        const ctxUnits = plan.contexts.map((c) => new ContextUnit(c, timing, lazy, seed));
        // Big nets are rebuilt for each round rather than all held in memory at once.
        const keepAlive = defs.reduce((a, d) => a + approxParams(d), 0) < 50e6;
        const netUnits = defs.map((d) => new ProbeUnit(() => netProbe(d, seed), timing, keepAlive));
        // Spread the contexts among the nets so the table and the nets share every stretch of time.
        const units: TimingUnit[] = [];
        const every = Math.max(1, Math.ceil(netUnits.length / Math.max(1, ctxUnits.length)));
        netUnits.forEach((u, i) => {
          if (i % every === 0 && ctxUnits[i / every]) units.push(ctxUnits[i / every]);
          units.push(u);
        });
        for (const u of ctxUnits) if (!units.includes(u)) units.push(u);
        const totalUnits = units.length;
        try {
          await runInterleaved(units, {
            signal: ac.signal,
            onRound: () => {
              done++;
              // Extra rounds (quietest rounds disagreeing) grow the total as they are decided.
              const total = Math.max(totalUnits * Math.max(1, timing.rounds), done + units.filter((u) => u.needsRound()).length);
              const f = done / total;
              const sec = (performance.now() - started) / 1000;
              emit('stage/progress', { stage: LUT_STAGE, phase: 'validation', done, total, etaSec: (sec / f) * (1 - f), note: 'table entries and nets timed in interleaved rounds' });
            },
          });
          const fresh = new Map(ctxUnits.flatMap((u) => u.entries()).map((e) => [e.key, e]));
          lut = { ...lut, updatedAt: new Date().toISOString(), entries: [...lut.entries.filter((e) => !fresh.has(e.key)), ...fresh.values()], correction: undefined };
          measuredNets = netUnits.map((u) => u.stats());
        } finally {
          for (const u of units) u.dispose();
        }
      } else {
        measuredNets = [];
        const groupSize = Math.max(1, input.groupSize ?? 6);
        for (let start = 0; start < defs.length; start += groupSize) {
          if (ac.signal.aborted) throw new MeasurementAborted();
          const group = defs.slice(start, start + groupSize);
          measuredNets.push(...(await measureProbes(group.map((d) => () => netProbe(d, seed)), timing, { signal: ac.signal })));
          done += group.length;
          const perNet = (performance.now() - started) / 1000 / done;
          emit('stage/progress', { stage: LUT_STAGE, phase: done <= calibration.length ? 'calibration' : 'validation', done, total, etaSec: perNet * (total - done) });
        }
      }
      const entries = lutEntryMap(lut);
      const rowsOf = (from: number, n: number, phase: 'calibration' | 'validation') =>
        Array.from({ length: n }, (_, k) => {
          const i = from + k;
          const pred = archLatency(lut, defs[i], { entries });
          const m = measuredNets[i];
          const row = { name: defs[i].name ?? `${phase}-${k}`, ops: choices[i].ops, predictedMs: pred.plainMs, correctedMs: pred.correctedMs, measuredMs: m.medianMs, measuredP10Ms: m.p10Ms, measuredP90Ms: m.p90Ms, steps: pred.steps };
          emit('lut/arch-measured', { phase, index: k, name: row.name, predictedMs: row.predictedMs, correctedMs: row.correctedMs, measuredMs: row.measuredMs, p10Ms: m.p10Ms, p90Ms: m.p90Ms });
          return row;
        });
      if (calibration.length) {
        const cal = rowsOf(0, calibration.length, 'calibration');
        const correction = fitCorrection(
          cal.map((r) => ({ steps: r.steps, measuredMs: r.measuredMs })),
          { seed, models: input.models },
        );
        lut = { ...lut, correction };
        context.onTable?.(lut);
        emit('lut/correction-fitted', { correction });
      }
      const val = rowsOf(calibration.length, validation.length, 'validation');
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
        concurrent: input.concurrent ? true : undefined,
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

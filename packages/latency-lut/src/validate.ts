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
import { lutEntryMap, type LatencyTable, type LutCorrection, type LutEntry } from './schema.ts';
import { loadSearchSpace } from './space-source.ts';
import { loadLut } from './storage.ts';
import { MeasurementAborted, resolveTiming, type TimingOptions } from './timing.ts';
import { VALIDATION_FORMAT_VERSION, VALIDATION_KIND, type ArchValidation, type ValidationRepeatability, type ValidationReport, type ValidationRound } from './validate-report.ts';
import { compareValidations } from './validation-drift.ts';
import { loadValidationReport, parseValidationReport } from './validation-schema.ts';
import { hashJson } from './hash.ts';
import { applyCorrection, type ArchLatency } from './predict.ts';
import { quantileSorted } from './timing.ts';

export interface ValidateLutInput {
  /** The table (object) or a path to its file. */
  lut: LatencyTable | string;
  /** Space to sample from; default: the (first) space the table was measured for. */
  space?: SearchSpace | string;
  /** Number of validation archs (sampled uniformly, seeded); default with `against`: its count. */
  samples?: number;
  /**
   * Validations in a row (default 2; 1: a single one). Each round times the validation nets end
   * to end afresh (with `concurrent`, the table's entries too); round 1 also times the
   * calibration nets and fits the correction, which later rounds reuse. The report's top-level
   * figures are round 1's; `rounds` has each, `repeatability` how far they agree.
   */
  repeat?: number;
  /**
   * An earlier validation report (object or file) of the same table: the report's `drift`
   * compares the measured latencies of the archs validated in both. Its seed (and sample count)
   * are the defaults, so the same archs are timed again.
   */
  against?: ValidationReport | string;
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

/**
 * The band the entries' own spread gives a prediction: every step at its p10 (or p90), taken as
 * a share of the entry's median and scaled onto the step's `ms`, summed (and corrected). All
 * steps at once at their p10 or p90 is the widest the steps' noise can move a net (load moves
 * them together); a net's *median* outside it is off by more than timing noise explains.
 */
export function spreadBand(pred: ArchLatency, entries: ReadonlyMap<string, LutEntry>, correction?: LutCorrection): [number, number] {
  const at = (q: 'p10Ms' | 'p90Ms') =>
    pred.steps.map((s) => {
      const e = entries.get(s.key);
      const rel = e && e.medianMs > 0 ? e[q] / e.medianMs : 1;
      return { opType: s.opType, ms: s.ms * rel };
    });
  const sum = (steps: { opType: string; ms: number }[]) => (correction ? applyCorrection(correction, steps) : steps.reduce((a, x) => a + x.ms, 0));
  const a = sum(at('p10Ms'));
  const b = sum(at('p90Ms'));
  return [Math.min(a, b), Math.max(a, b)];
}

/** (max − min) / median of one arch's round medians, in percent. */
function spreadPct(ms: readonly number[]): number {
  const s = Float64Array.from(ms).sort();
  return (100 * (s[s.length - 1] - s[0])) / quantileSorted(s, 0.5);
}

/** Every later round against round 1: its measured latencies read as a prediction of round 1's. */
export function repeatabilityOf(rounds: readonly Pick<ValidationRound, 'measuredMs'>[], rows: readonly Pick<ArchValidation, 'roundSpreadPct'>[]): ValidationRepeatability {
  const a = rounds[0].measuredMs;
  const pairs = rounds.slice(1).map((r, k) => {
    const f = fitFigures(r.measuredMs, a);
    const ratios = Float64Array.from(r.measuredMs.map((m, i) => m / a[i])).sort();
    return { a: 1, b: k + 2, mape: f.mape, within10: f.within10, kendallTau: f.kendallTau, medianRatio: quantileSorted(ratios, 0.5) };
  });
  const spreads = Float64Array.from(rows.map((r) => r.roundSpreadPct ?? 0)).sort();
  return {
    rounds: rounds.length,
    pairs,
    kendallTau: Math.min(...pairs.map((p) => p.kendallTau)),
    mape: Math.max(...pairs.map((p) => p.mape)),
    medianSpreadPct: quantileSorted(spreads, 0.5),
    maxSpreadPct: spreads[spreads.length - 1],
  };
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
 * archs. Does so `repeat` times in a row (round 1 is the headline; see ValidationReport), and
 * with `against` adds the drift since an earlier validation. Emits `lut/arch-measured` +
 * `stage/progress` per net, `lut/correction-fitted`, `lut/validation-round` per round, then `lut/validated`.
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
      const against = input.against === undefined ? undefined : typeof input.against === 'string' ? loadValidationReport(input.against) : parseValidationReport(input.against);
      await activateBackend(context);
      const device = context.device ?? nodeFingerprint(context.backend, context.plan);
      const forcedDifferences = assertLutDevice(lut, device, { force: input.force });
      const timing = resolveTiming({ ...lut.timing, ...input.timing });
      const seed = input.seed ?? against?.seed ?? 0;
      const samples = input.samples ?? against?.samples;
      if (!samples) throw new FbnetError('USAGE', 'say how many archs to validate (samples), or give an earlier validation to repeat (against)');
      const repeat = Math.max(1, Math.floor(input.repeat ?? 2));
      const lutHash = hashJson({ device: lut.device, timing: lut.timing, entries: lut.entries });
      const rng = new Rng(seed);
      const nCal = input.calibrationSamples ?? (lut.correction && !input.refit ? 0 : 24);
      let calibration = sampleDistinct(space, rng.fork('calibration'), nCal, new Set());
      let validation = sampleDistinct(space, rng.fork('validation'), samples, new Set(calibration.map(choiceKey)));
      if (against && against.calibrationSamples !== nCal) {
        // Validation archs are drawn avoiding the calibration ones: draw them as the earlier run
        // did (its calibration count), so the same archs are timed again, then calibration around them.
        const earlierCal = sampleDistinct(space, rng.fork('calibration'), against.calibrationSamples, new Set());
        validation = sampleDistinct(space, rng.fork('validation'), samples, new Set(earlierCal.map(choiceKey)));
        calibration = sampleDistinct(space, rng.fork('calibration'), nCal, new Set(validation.map(choiceKey)));
      }
      const total = calibration.length + validation.length;
      emit('stage/started', { stage: LUT_STAGE, config: { phase: 'validate', backend: context.backend.id, samples: validation.length, calibration: calibration.length } });
      // Per round: 1. time the nets (and, concurrently, the table's entries), 2. predict,
      // 3. (round 1) fit the correction, 4. compare. Later rounds re-time the validation nets only.
      type Measured = { medianMs: number; p10Ms: number; p90Ms: number };
      const choices = [...calibration, ...validation];
      const defs = choices.map((c) => archFromChoice(space, c));
      const allTotal = total + (repeat - 1) * validation.length;
      let done = 0;
      const timeNets = async (from: number, round: number): Promise<{ nets: Measured[]; fresh?: LutEntry[] }> => {
        const toTime = defs.slice(from);
        const roundNote = repeat > 1 ? `round ${round + 1}/${repeat}: ` : '';
        if (!input.concurrent) {
          const nets: Measured[] = [];
          const groupSize = Math.max(1, input.groupSize ?? 6);
          for (let start = 0; start < toTime.length; start += groupSize) {
            if (ac.signal.aborted) throw new MeasurementAborted();
            const group = toTime.slice(start, start + groupSize);
            nets.push(...(await measureProbes(group.map((d) => () => netProbe(d, seed)), timing, { signal: ac.signal })));
            done += group.length;
            const perNet = (performance.now() - started) / 1000 / done;
            const phase = from + start + group.length <= calibration.length ? 'calibration' : 'validation';
            emit('stage/progress', { stage: LUT_STAGE, phase, done, total: allTotal, etaSec: perNet * (allTotal - done), note: `${roundNote}nets timed end to end` });
          }
          return { nets };
        }
        const lazy = !isSynchronousBackend();
        const plan = planSpaceContexts(space, new Set(spaceEntries(space).map((e) => e.key)));
        const ctxUnits = plan.contexts.map((c) => new ContextUnit(c, timing, lazy, seed));
        // Big nets are rebuilt for each round rather than all held in memory at once.
        const keepAlive = toTime.reduce((a, d) => a + approxParams(d), 0) < 50e6;
        const netUnits = toTime.map((d) => new ProbeUnit(() => netProbe(d, seed), timing, keepAlive));
        // Spread the contexts among the nets so the table and the nets share every stretch of time.
        const units: TimingUnit[] = [];
        const every = Math.max(1, Math.ceil(netUnits.length / Math.max(1, ctxUnits.length)));
        netUnits.forEach((u, i) => {
          if (i % every === 0 && ctxUnits[i / every]) units.push(ctxUnits[i / every]);
          units.push(u);
        });
        for (const u of ctxUnits) if (!units.includes(u)) units.push(u);
        const totalUnits = units.length;
        const roundStarted = performance.now();
        let unitRounds = 0;
        try {
          await runInterleaved(units, {
            signal: ac.signal,
            onRound: () => {
              unitRounds++;
              // Extra rounds (quietest rounds disagreeing) grow the total as they are decided.
              const t = Math.max(totalUnits * Math.max(1, timing.rounds), unitRounds + units.filter((u) => u.needsRound()).length);
              const f = unitRounds / t;
              const sec = (performance.now() - roundStarted) / 1000;
              emit('stage/progress', { stage: LUT_STAGE, phase: 'validation', done: unitRounds, total: t, etaSec: (sec / f) * (1 - f), note: `${roundNote}table entries and nets timed in interleaved rounds` });
            },
          });
          return { nets: netUnits.map((u) => u.stats()), fresh: ctxUnits.flatMap((u) => u.entries()) };
        } finally {
          for (const u of units) u.dispose();
        }
      };
      const rowsOf = (tbl: LatencyTable, nets: Measured[], offset: number, from: number, n: number, phase: 'calibration' | 'validation', round: number) => {
        const entries = lutEntryMap(tbl);
        return Array.from({ length: n }, (_, k) => {
          const i = from + k;
          const pred = archLatency(tbl, defs[i], { entries });
          const m = nets[i - offset];
          const [lo, hi] = spreadBand(pred, entries, tbl.correction);
          const row = { name: defs[i].name ?? `${phase}-${k}`, ops: choices[i].ops, predictedMs: pred.plainMs, correctedMs: pred.correctedMs, measuredMs: m.medianMs, measuredP10Ms: m.p10Ms, measuredP90Ms: m.p90Ms, predictedLowMs: lo, predictedHighMs: hi, outsideSpread: m.medianMs < lo || m.medianMs > hi, steps: pred.steps };
          emit('lut/arch-measured', { phase, index: k, round: round + 1, name: row.name, predictedMs: row.predictedMs, correctedMs: row.correctedMs, measuredMs: row.measuredMs, p10Ms: m.p10Ms, p90Ms: m.p90Ms });
          return row;
        });
      };
      // In concurrent mode every round has its own fresh entries; the correction fitted in round 1 is kept.
      let correction = input.concurrent ? undefined : lut.correction;
      let table = lut;
      let first: ReturnType<typeof rowsOf> = [];
      const rounds: ValidationRound[] = [];
      for (let r = 0; r < repeat; r++) {
        const startedAt = new Date().toISOString();
        const roundT0 = performance.now();
        const from = r === 0 ? 0 : calibration.length;
        const { nets, fresh } = await timeNets(from, r);
        let roundLut: LatencyTable = lut;
        if (fresh) {
          const byKey = new Map(fresh.map((e) => [e.key, e]));
          roundLut = { ...lut, updatedAt: new Date().toISOString(), entries: [...lut.entries.filter((e) => !byKey.has(e.key)), ...byKey.values()] };
        }
        roundLut = { ...roundLut, correction };
        if (r === 0 && calibration.length) {
          const cal = rowsOf(roundLut, nets, 0, 0, calibration.length, 'calibration', r);
          correction = fitCorrection(
            cal.map((c) => ({ steps: c.steps, measuredMs: c.measuredMs })),
            { seed, models: input.models },
          );
          roundLut = { ...roundLut, correction };
          context.onTable?.(roundLut);
          emit('lut/correction-fitted', { correction });
        }
        if (!correction) delete roundLut.correction;
        if (r === 0) table = roundLut;
        const val = rowsOf(roundLut, nets, from, calibration.length, validation.length, 'validation', r);
        if (r === 0) first = val;
        const measured = val.map((v) => v.measuredMs);
        const plain = fitFigures(val.map((v) => v.predictedMs), measured);
        const corrected = roundLut.correction ? fitFigures(val.map((v) => v.correctedMs!), measured) : undefined;
        const top = corrected ?? plain;
        rounds.push({
          round: r + 1,
          startedAt,
          elapsedSec: (performance.now() - roundT0) / 1000,
          predictor: corrected ? 'corrected' : 'plain',
          mape: top.mape,
          within10: top.within10,
          kendallTau: top.kendallTau,
          plain,
          corrected,
          outsideSpread: val.filter((v) => v.outsideSpread).length,
          measuredMs: measured,
          predictedMs: val.map((v) => v.predictedMs),
          correctedMs: corrected ? val.map((v) => v.correctedMs!) : undefined,
        });
        emit('lut/validation-round', { round: r + 1, of: repeat, mape: top.mape, within10: top.within10, kendallTau: top.kendallTau });
      }
      lut = table;
      const rows: ArchValidation[] = first.map(({ steps: _steps, ...row }, i) => {
        const ms = rounds.map((x) => x.measuredMs[i]);
        return repeat > 1 ? { ...row, measuredRoundsMs: ms, roundSpreadPct: spreadPct(ms) } : row;
      });
      const r1 = rounds[0];
      const outside = r1.outsideSpread;
      const report: ValidationReport = {
        kind: VALIDATION_KIND,
        version: VALIDATION_FORMAT_VERSION,
        createdAt: new Date().toISOString(),
        backend: context.backend.id,
        device,
        space: space.name,
        samples: rows.length,
        calibrationSamples: calibration.length,
        seed,
        timing,
        lutHash,
        predictor: r1.predictor,
        mape: r1.mape,
        within10: r1.within10,
        kendallTau: r1.kendallTau,
        plain: r1.plain,
        corrected: r1.corrected,
        correction: lut.correction
          ? { model: lut.correction.model, offsetMs: lut.correction.offsetMs, scale: lut.correction.scale, opWeights: lut.correction.opWeights, looMape: lut.correction.calibration.looMape }
          : undefined,
        outsideSpread: { count: outside, share: rows.length ? outside / rows.length : 0 },
        forcedDifferences: forcedDifferences.length ? forcedDifferences : undefined,
        concurrent: input.concurrent ? true : undefined,
        elapsedSec: (performance.now() - started) / 1000,
        archs: rows,
        rounds,
        repeatability: repeat > 1 ? repeatabilityOf(rounds, rows) : undefined,
      };
      if (against) report.drift = compareValidations(against, report);
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

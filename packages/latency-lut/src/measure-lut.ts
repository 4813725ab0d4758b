import { Observable } from 'rxjs';
import { FbnetError, safeAvailability, type BackendPlugin, type KernelPlan, type SearchSpace } from '@fbnet/core';
import { assertLutDevice } from './device.ts';
import { sourceEntries, type LutSource } from './enumerate.ts';
import { LUT_STAGE, lutEmitter, type LutEvent, type LutStreamEventMap } from './events.ts';
import { hashJson } from './hash.ts';
import { measureConfigs } from './measure-probes.ts';
import { planContexts } from './context-plan.ts';
import { measureContexts } from './measure-context.ts';
import { nodeFingerprint } from './node-device.ts';
import { LUT_FORMAT_VERSION, LUT_KIND, type LatencyTable, type LutDevice, type LutEntry, type LutSourceRecord } from './schema.ts';
import { loadSearchSpace } from './space-source.ts';
import { loadLut, lutExists, saveLut } from './storage.ts';
import { MeasurementAborted, resolveTiming, type TimingOptions } from './timing.ts';

/** What to measure and where to keep it (`fbnet lut measure`). */
export interface MeasureLutInput {
  /** A search space, a preset name (`fbnet-v1-fmnist`) or a path to a space JSON file. */
  space?: SearchSpace | string;
  /** Or a list of arch defs (objects); their distinct blocks are measured. */
  archs?: unknown[];
  /** Table file. Written atomically (temp + rename) after every `saveEvery` measured entries and at the end. */
  out?: string;
  /** Continue the table in `out` (or `existing`): its entries are kept, only missing ones are measured. */
  resume?: boolean;
  /**
   * Overwrite an existing `out` without `resume`; with `resume`, adopt a table measured
   * under another fingerprint (its entries are kept and the table takes this device's fingerprint).
   */
  force?: boolean;
  /** An in-memory table to continue (instead of reading `out`). */
  existing?: LatencyTable;
  /** Per-entry time budget etc.; a resumed table keeps the timing it was started with. */
  timing?: Partial<TimingOptions>;
  saveEvery?: number;
  /** Context archs (or, isolated, entries) timed together in interleaved rounds; a burst of machine load then spoils one round of each, not all. */
  groupSize?: number;
  /** Seed of the random weights and inputs (values do not change the work; kept for reproducibility). */
  seed?: number;
}

export interface LutContext {
  /** Any object implementing the core backend-plugin contract. */
  backend: BackendPlugin;
  /** The device's kernel plan: handed to the plugin, its hash goes into the fingerprint. */
  plan?: KernelPlan;
  threads?: number;
  /** Override the fingerprint (tests, or a remote device measured by proxy). */
  device?: LutDevice;
}

function sourceRecord(source: LutSource): LutSourceRecord {
  if ('space' in source) return { kind: 'space', name: source.space.name, hash: hashJson(source.space), space: source.space };
  return { kind: 'archs', hash: hashJson(source.archs), archs: [...source.archs] };
}

export function resolveSource(input: Pick<MeasureLutInput, 'space' | 'archs'>): LutSource {
  if (input.space !== undefined && input.archs !== undefined) throw new FbnetError('USAGE', 'give a search space or arch defs to measure, not both');
  if (input.space !== undefined) return { space: loadSearchSpace(input.space) };
  if (input.archs !== undefined) return { archs: input.archs };
  throw new FbnetError('USAGE', 'nothing to measure: give a search space (preset or file) or arch defs');
}

/** Activate a plugin: availability (never throws) first, then init with the plan. */
export async function activateBackend(ctx: Pick<LutContext, 'backend' | 'plan' | 'threads'>): Promise<void> {
  const a = await safeAvailability(ctx.backend);
  if (!a.available) throw new FbnetError('BACKEND_UNAVAILABLE', `backend "${ctx.backend.id}" is not available here: ${a.reason}`);
  await ctx.backend.init({ plan: ctx.plan, threads: ctx.threads });
  ctx.backend.usePlan?.(ctx.plan);
}

/**
 * Stage: measure the latency table of a search space or arch list on a backend. Emits
 * `lut/measure-planned`, then `lut/entry-measured` + `stage/progress` per entry (and
 * `lut/saved` when writing `out`), then `lut/completed` with the table. Unsubscribing
 * aborts the entry being timed and frees its tensors; entries measured so far are on disk.
 */
export function measureLut(input: MeasureLutInput, context: LutContext): Observable<LutEvent> {
  return new Observable<LutEvent>((sub) => {
    const ac = new AbortController();
    const emit = lutEmitter(sub, ac.signal);
    runMeasureLut(input, context, ac.signal, emit).then(
      () => sub.complete(),
      (e) => {
        if (ac.signal.aborted && e instanceof MeasurementAborted) return;
        if (!ac.signal.aborted) sub.error(e);
      },
    );
    return () => ac.abort();
  });
}

/** What a finished measurement produced (`lut/completed` less its type). */
export type MeasureLutOutcome = LutStreamEventMap['lut/completed'];

/** `emit(type, payload)`: where `runMeasureLut` sends its events. */
export type LutEmit = <K extends keyof LutStreamEventMap>(type: K, payload: LutStreamEventMap[K]) => void;

/**
 * The work behind `measureLut`, as a promise that settles only once the work has stopped:
 * resolves with the outcome, or with `undefined` when `signal` aborted (the entries finished
 * before it are in `out`, their last save landed); rejects on failure (an abort may also
 * reject with `MeasurementAborted`).
 */
export async function runMeasureLut(input: MeasureLutInput, context: LutContext, signal: AbortSignal, emit: LutEmit): Promise<MeasureLutOutcome | undefined> {
  const started = performance.now();
  const source = resolveSource(input);
  const wanted = sourceEntries(source);
  await activateBackend(context);
  const device = context.device ?? nodeFingerprint(context.backend, context.plan);
  let table = input.existing;
  if (!table && input.out && lutExists(input.out)) {
    if (input.resume) table = loadLut(input.out);
    else if (!input.force) throw new FbnetError('USAGE', `${input.out} exists: pass resume to continue it or force to overwrite it`);
  }
  if (table && !input.resume && !input.force) throw new FbnetError('USAGE', 'an existing table was given: pass resume to continue it');
  if (table && !input.resume) table = undefined;
  if (table) {
    assertLutDevice(table, device, { force: input.force });
    table = { ...table, device, entries: [...table.entries], sources: [...table.sources] };
  }
  const now = new Date().toISOString();
  const lut: LatencyTable = table ?? {
    kind: LUT_KIND,
    version: LUT_FORMAT_VERSION,
    createdAt: now,
    updatedAt: now,
    device,
    timing: resolveTiming(input.timing),
    sources: [],
    entries: [],
    measureSec: 0,
  };
  const rec = sourceRecord(source);
  if (!lut.sources.some((s) => s.hash === rec.hash)) lut.sources.push(rec as LatencyTable['sources'][number]);
  // A correction was fitted to the old entry set; new entries or sources make it stale.
  const have = new Set(lut.entries.map((e) => e.key));
  const todo = wanted.filter((e) => !have.has(e.key));
  if (todo.length && lut.correction) delete lut.correction;
  emit('stage/started', { stage: LUT_STAGE, config: { backend: context.backend.id, entries: wanted.length, out: input.out } });
  emit('lut/measure-planned', { total: wanted.length, existing: wanted.length - todo.length, toMeasure: todo.length, backend: context.backend.id, path: input.out });
  const saveEvery = Math.max(1, input.saveEvery ?? 1);
  const baseSec = lut.measureSec ?? 0;
  const save = async () => {
    lut.updatedAt = new Date().toISOString();
    lut.measureSec = baseSec + (performance.now() - started) / 1000;
    if (input.out) {
      await saveLut(input.out, lut);
      emit('lut/saved', { path: input.out, entries: lut.entries.length });
    }
  };
  let done = 0;
  let sinceSave = 0;
  let roundsEta: number | undefined;
  const measureOptions = {
    signal,
    seed: input.seed,
    groupSize: input.groupSize,
    onEntry: async (e: LutEntry) => {
      // Entries finished before a cancellation are kept (and saved): they are valid.
      lut.entries.push(e);
      done++;
      emit('lut/entry-measured', {
        key: e.key,
        kind: e.kind,
        opType: e.opType,
        input: e.input as [number, number, number],
        medianMs: e.medianMs,
        p10Ms: e.p10Ms,
        p90Ms: e.p90Ms,
        samples: e.samples,
        done,
        total: todo.length,
      });
      if (++sinceSave >= saveEvery) {
        sinceSave = 0;
        await save();
      }
      const perEntry = (performance.now() - started) / 1000 / done;
      const etaSec = done === todo.length ? 0 : (roundsEta ?? perEntry * (todo.length - done));
      emit('stage/progress', { stage: LUT_STAGE, phase: 'measure', done, total: todo.length, etaSec, note: e.key });
    },
  };
  if (todo.length && lut.timing.context !== 'isolated') {
    const t0 = performance.now();
    await measureContexts(planContexts(source, new Set(todo.map((r) => r.key))), lut.timing, {
      ...measureOptions,
      // Entries finish in bursts (a group of contexts at a time): the ETA comes from the rounds.
      onRound: (f) => {
        const sec = (performance.now() - t0) / 1000;
        roundsEta = f > 0 ? (sec / f) * (1 - f) : undefined;
        emit('stage/progress', { stage: LUT_STAGE, phase: 'measure', done, total: todo.length, etaSec: roundsEta, note: `${Math.round(100 * f)}% of the timing rounds` });
      },
    });
  } else {
    await measureConfigs(todo.map((r) => r.config), lut.timing, measureOptions);
  }
  if (signal.aborted) return undefined;
  if (sinceSave > 0 || todo.length === 0 || !input.out) await save();
  const elapsedSec = (performance.now() - started) / 1000;
  const outcome: MeasureLutOutcome = { table: lut, path: input.out, measured: done, reused: wanted.length - todo.length, elapsedSec };
  emit('lut/completed', outcome);
  emit('stage/completed', { stage: LUT_STAGE, result: { entries: lut.entries.length, measured: done, elapsedSec } });
  return outcome;
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArchDef, type ArchDef, type EventBase } from '@fbnet/core';
import { RunDir, type RunConfig } from '@fbnet/runs';

/** An event as logged: the stage event plus the time `RunDir.appendEvent` stamped on it. */
export type LoggedEvent = EventBase & { t?: number } & Record<string, unknown>;

/**
 * Everything a report reads from a run directory, loaded leniently: a missing or unreadable
 * artefact is `undefined` and a line in `problems`, never an exception, so a partial run
 * (killed mid-search, training not started, LUT deleted) still gets a report.
 */
export interface RunData {
  dir: string;
  config: RunConfig;
  events: LoggedEvent[];
  /** `arch.json`, validated; undefined when absent or invalid. */
  arch?: ArchDef;
  /** `lut.json` as JSON (the report reads it structurally; see lut-matrix.ts). */
  lut?: unknown;
  /** `result.json`. */
  result?: Record<string, unknown>;
  /** `search.json` (derived and sampled archs, written by `fbnet search v1` when the search ends). */
  search?: { derived?: unknown; sampled?: unknown; constrained?: unknown };
  /** `final.json` (test/val accuracy of the final training, written before the result). */
  final?: Record<string, unknown>;
  /** The exported TF.js model's `model/model.json` exists. */
  hasModel: boolean;
  /** Human-readable problems met while loading (invalid JSON, invalid arch def, ...). */
  problems: string[];
}

/** Open a run directory (throws only when it is not one: no or invalid config.json). */
export function loadRun(runDir: string): RunData {
  // Reading only: a report can be drawn from a run another process is still writing.
  const run = RunDir.open(runDir, { lock: false });
  const problems: string[] = [];
  const readJson = (name: string): unknown => {
    const p = run.file(name);
    if (!existsSync(p)) return undefined;
    try {
      return JSON.parse(readFileSync(p, 'utf8'));
    } catch (e) {
      problems.push(`${name}: not valid JSON (${(e as Error).message})`);
      return undefined;
    }
  };
  let events: LoggedEvent[] = [];
  try {
    events = run.readEvents<LoggedEvent>().filter((e) => e !== null && typeof e === 'object' && typeof e.type === 'string');
  } catch (e) {
    problems.push(`events.jsonl: ${(e as Error).message}`);
  }
  let arch: ArchDef | undefined;
  const rawArch = readJson('arch.json');
  if (rawArch !== undefined) {
    try {
      arch = parseArchDef(rawArch);
    } catch (e) {
      problems.push(`arch.json: ${(e as Error).message}`);
    }
  }
  const result = readJson('result.json');
  const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const modelJson = join(run.path, 'model', 'model.json');
  return {
    dir: run.path,
    config: run.config,
    events,
    arch,
    lut: readJson('lut.json'),
    result: obj(result),
    search: obj(readJson('search.json')),
    final: obj(readJson('final.json')),
    hasModel: existsSync(modelJson) && statSync(modelJson).isFile(),
    problems,
  };
}

/** Events of one type, in log order. */
export function eventsOf<T extends Record<string, unknown>>(run: Pick<RunData, 'events'>, type: string): (T & LoggedEvent)[] {
  return run.events.filter((e) => e.type === type) as (T & LoggedEvent)[];
}

/** The last event of a type (a resumed run may log a phase twice; the latest wins). */
export function lastEventOf<T extends Record<string, unknown>>(run: Pick<RunData, 'events'>, type: string): (T & LoggedEvent) | undefined {
  const all = eventsOf<T>(run, type);
  return all[all.length - 1];
}

/**
 * Per-epoch events keyed by `epoch`, latest wins, sorted: a run resumed from a checkpoint
 * logs the epochs after the checkpoint again, and the report must show each epoch once.
 */
export function byEpoch<T extends object>(events: readonly T[]): (T & { epoch: number })[] {
  const m = new Map<number, T & { epoch: number }>();
  for (const e of events) {
    const epoch = (e as { epoch?: unknown }).epoch;
    if (typeof epoch === 'number' && Number.isFinite(epoch)) m.set(epoch, e as T & { epoch: number });
  }
  return [...m.values()].sort((a, b) => a.epoch - b.epoch);
}

/** A plain (non-array) object. */
export const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Any other JSON file of the run (`coarse.json`, `fine.json`, `recipe.json`, `lut-arch.json`…),
 * read once per loaded run and leniently: undefined when absent or not valid JSON.
 */
export function runJson<T = unknown>(run: Pick<RunData, 'dir'>, name: string): T | undefined {
  return memo(run, `json:${name}`, () => {
    const p = join(run.dir, name);
    if (!existsSync(p)) return undefined;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as T;
    } catch {
      return undefined;
    }
  });
}

const memos = new WeakMap<object, Map<string, unknown>>();

/** Compute a value once per loaded run (several sections need the same space, matrix, views). */
export function memo<T>(run: object, key: string, f: () => T): T {
  let m = memos.get(run);
  if (!m) memos.set(run, (m = new Map()));
  if (!m.has(key)) m.set(key, f());
  return m.get(key) as T;
}

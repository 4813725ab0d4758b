import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { FbnetError } from '@fbnet/core';
import { RunDir, type RunConfig } from '@fbnet/runs';
import { readJsonFile } from './files.ts';

/**
 * How the CLI starts, resumes and finishes run directories: a run is created only after every
 * input was checked, never over a user's files; a finished run is reported, not redone; paths
 * stored in a run are relative to it, so a copied or moved run still works.
 */

/** Result fields that hold paths (stored relative to the run, shown resolved). */
const PATH_FIELDS = ['modelPath', 'archPath', 'reportPath'] as const;

/**
 * Refuse an `--out` that would overwrite files that are not a run's: an existing file, or a
 * non-empty directory without config.json (a directory that holds a run is refused by
 * `RunDir.create` with the hint to --resume it). USAGE: the flag's value is at fault.
 */
export function checkNewRunDir(path: string): void {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) throw new FbnetError('USAGE', `--out ${path} is a file, not a directory`);
  if (existsSync(resolve(path, 'config.json'))) return;
  if (readdirSync(path).length > 0) {
    const why = 'is a directory that is not empty and is not an fbnet run; choose a new or empty directory';
    throw new FbnetError('USAGE', `--out ${path} ${why}`);
  }
}

/** A directory input (`--data-dir`) must exist before a run is created for it. */
export function checkInputDir(flagName: string, path: string): void {
  if (!existsSync(path)) throw new FbnetError('FILE_INVALID', `--${flagName} ${path}: no such directory`);
  if (!statSync(path).isDirectory()) throw new FbnetError('FILE_INVALID', `--${flagName} ${path} is not a directory`);
}

/** Create the run once every input has been checked (never earlier: a failed start leaves no directory). */
export function createRun(path: string, config: Omit<RunConfig, 'version' | 'createdAt'>): RunDir {
  checkNewRunDir(path);
  return RunDir.create(path, config);
}

/**
 * Check that the JSON files a resume will read parse, so a truncated `search.json` is reported
 * with its path (and what deleting it does) instead of a bare JSON syntax error.
 */
export function checkRunFiles(run: RunDir, names: readonly string[]): void {
  for (const name of names) {
    const p = run.file(name);
    if (!existsSync(p)) continue;
    try {
      readJsonFile(p, `run file`);
    } catch (e) {
      const why = (e as Error).message;
      throw new FbnetError('FILE_INVALID', `${why}; the run cannot resume from it (delete ${p} to redo that phase)`);
    }
  }
}

/** `p` relative to the run when it lies inside it; other paths (inputs elsewhere) stay as they are. */
export function runRelative(run: RunDir, p: string): string {
  if (!isAbsolute(p)) return p;
  const r = relative(run.path, p);
  return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? p : r;
}

/** A path stored in a run, resolved for the user (absolute). */
export function runResolved(run: RunDir, p: string): string {
  return resolve(run.path, p);
}

/**
 * Write result.json, the mark of a finished run: path fields relative to the run, `runDir`
 * left out (the run is wherever result.json is), `finishedAt` stamped. Returns what was stored.
 */
export function storeResult(run: RunDir, result: Record<string, unknown>): Record<string, unknown> {
  const stored: Record<string, unknown> = { ...result, finishedAt: new Date().toISOString() };
  delete stored.runDir;
  for (const k of PATH_FIELDS) if (typeof stored[k] === 'string') stored[k] = runRelative(run, stored[k] as string);
  run.writeJson('result.json', stored);
  return stored;
}

/** A stored result as the user sees it: paths resolved, `runDir` the run's absolute path. */
export function shownResult(run: RunDir, stored: Record<string, unknown>): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...stored, runDir: run.path };
  for (const k of PATH_FIELDS) if (typeof shown[k] === 'string') shown[k] = runResolved(run, shown[k] as string);
  return shown;
}

/**
 * The result of a finished run, or undefined. Finished = result.json written by the CLI at the
 * very end (it carries `reportPath`; stage pipelines write theirs without it before the CLI's).
 */
export function finishedResult(
  run: RunDir,
  isFinal: (r: Record<string, unknown>) => boolean = (r) => 'reportPath' in r || 'finishedAt' in r,
): Record<string, unknown> | undefined {
  const p = run.file('result.json');
  if (!existsSync(p)) return undefined;
  const r = readJsonFile(p, 'run result');
  if (r === null || typeof r !== 'object' || Array.isArray(r)) {
    throw new FbnetError('FILE_INVALID', `run result ${p} is not a JSON object`);
  }
  return isFinal(r as Record<string, unknown>) ? (r as Record<string, unknown>) : undefined;
}

/**
 * Record options changed on `--resume` in config.json (`options` updated, each resume's
 * changes appended to `resumes`), so the run says what it ran with.
 */
export function recordResume(run: RunDir, changed: Record<string, unknown>): Record<string, unknown> {
  const options = { ...run.config.options, ...changed };
  if (Object.keys(changed).length === 0) return options;
  const prior = (run.config as RunConfig & { resumes?: unknown[] }).resumes ?? [];
  run.writeJson('config.json', { ...run.config, options, resumes: [...prior, { at: new Date().toISOString(), changed }] });
  return options;
}

/** Open a run for `--resume`, refusing a run of another command. */
export function openRunOf(path: string, command: string, options: { lock?: boolean } = {}): RunDir {
  const run = RunDir.open(path, options);
  if (run.config.command !== command) {
    run.close();
    throw new FbnetError('USAGE', `${path} is a "${run.config.command}" run, not a "${command}" run`);
  }
  return run;
}

/** On `--resume`, a flag that fixes what the run computes may only repeat the run's own value. */
export function keepOnResume(flagName: string, given: unknown, own: unknown): void {
  if (given === undefined || given === own) return;
  throw new FbnetError(
    'USAGE',
    `--${flagName} ${String(given)} differs from the run's ${String(own ?? 'none')}; ` +
      'a resumed run keeps it (start a new run to change it)',
  );
}

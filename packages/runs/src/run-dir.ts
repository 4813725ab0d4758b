import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { FbnetError, type EventBase } from '@fbnet/core';
import { FILE_SIZE_CAPS, readJsonCapped, safeJoin } from '@fbnet/core/node';
import { writeJsonAtomic } from './atomic.ts';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.ts';
import { acquireRunLock, releaseRunLock } from './lock.ts';

export interface OpenRunOptions {
  /**
   * Take the run's exclusive lock (default true). Only a reader that writes nothing into the
   * run (a report loader) opens it without.
   */
  lock?: boolean;
}

export interface RunConfig {
  version: 1;
  /** e.g. "search v1", "train". */
  command: string;
  createdAt: string;
  seed: number;
  options: Record<string, unknown>;
}

/**
 * A run is a directory: config.json, events.jsonl (every stage event, one per line),
 * checkpoints/ (atomic, checksummed), and the artefacts a command produces (arch, model,
 * LUT, report). Everything needed to resume or to redraw the report lives here.
 *
 * One process at a time: `create` and `open` take the exclusive `run.lock` (pid, host, start
 * time), refusing a second process with the holder named; `close()` releases it, and so does
 * the process's exit (a lock left by kill -9 is stale and taken over on the same host).
 */
export class RunDir {
  private closed = false;
  private constructor(readonly path: string, readonly config: RunConfig, private readonly locked: boolean) {}

  static create(path: string, config: Omit<RunConfig, 'version' | 'createdAt'>): RunDir {
    const dir = resolve(path);
    mkdirSync(safeJoin(dir, 'checkpoints'), { recursive: true });
    acquireRunLock(dir, config.command);
    try {
      if (existsSync(safeJoin(dir, 'config.json'))) {
        throw new FbnetError('USAGE', `run directory ${dir} already holds a run; resume it with --resume ${path} or choose another --out`);
      }
      const full: RunConfig = { version: 1, createdAt: new Date().toISOString(), ...config };
      writeJsonAtomic(safeJoin(dir, 'config.json'), full);
      return new RunDir(dir, full, true);
    } catch (e) {
      releaseRunLock(dir);
      throw e;
    }
  }

  static open(path: string, options: OpenRunOptions = {}): RunDir {
    const dir = resolve(path);
    const cfgPath = safeJoin(dir, 'config.json');
    if (!existsSync(cfgPath)) throw new FbnetError('USAGE', `${dir} is not a run directory (no config.json)`);
    const cfg = readJsonCapped(cfgPath, 'run config', FILE_SIZE_CAPS.runJson) as RunConfig;
    if (!cfg || cfg.version !== 1 || typeof cfg.command !== 'string' || typeof cfg.seed !== 'number') {
      throw new FbnetError('FILE_INVALID', `${cfgPath}: not an fbnet run config (version/command/seed missing)`);
    }
    const lock = options.lock !== false;
    if (lock) acquireRunLock(dir, cfg.command);
    try {
      mkdirSync(safeJoin(dir, 'checkpoints'), { recursive: true });
    } catch (e) {
      if (lock) releaseRunLock(dir);
      throw e;
    }
    return new RunDir(dir, cfg, lock);
  }

  /** Release the run's lock (idempotent); the RunDir must not write afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.locked) releaseRunLock(this.path);
  }

  /** A path inside the run; a name that would resolve outside it is refused. */
  file(name: string): string {
    return safeJoin(this.path, name);
  }

  appendEvent(e: EventBase): void {
    appendFileSync(this.file('events.jsonl'), JSON.stringify({ t: Date.now(), ...e }) + '\n');
  }

  /** Events logged so far; a torn last line (killed mid-append) is dropped. */
  readEvents<E extends EventBase = EventBase>(): (E & { t: number })[] {
    const p = this.file('events.jsonl');
    if (!existsSync(p)) return [];
    const out: (E & { t: number })[] = [];
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // only the last line can be torn by a kill; anything else is kept strict below
      }
    }
    return out;
  }

  writeJson(name: string, value: unknown): string {
    const p = this.file(name);
    writeJsonAtomic(p, value);
    return p;
  }

  /** A JSON file of the run, or undefined when absent; unreadable or invalid JSON is FILE_INVALID naming it. */
  readJson<T>(name: string): T | undefined {
    const p = this.file(name);
    if (!existsSync(p)) return undefined;
    return readJsonCapped(p, 'run file', FILE_SIZE_CAPS.runJson) as T;
  }

  saveCheckpoint<M>(name: string, ckpt: Checkpoint<M>): void {
    saveCheckpoint(safeJoin(this.path, 'checkpoints', `${name}.ckpt`), ckpt);
  }

  loadCheckpoint<M>(name: string): Checkpoint<M> | undefined {
    const p = safeJoin(this.path, 'checkpoints', `${name}.ckpt`);
    return existsSync(p) ? loadCheckpoint<M>(p) : undefined;
  }

  checkpoints(): string[] {
    return readdirSync(safeJoin(this.path, 'checkpoints'))
      .filter((f) => f.endsWith('.ckpt'))
      .map((f) => f.slice(0, -5));
  }
}

/** A fresh run id: UTC timestamp plus a short random suffix. */
export function newRunId(prefix = 'run'): string {
  const ts = new Date().toISOString().replace(/[-:]/g, '').replace(/\..+/, '').replace('T', '-');
  return `${prefix}-${ts}-${Math.random().toString(36).slice(2, 6)}`;
}

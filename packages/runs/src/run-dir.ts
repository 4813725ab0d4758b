import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FbnetError, type EventBase } from '@fbnet/core';
import { writeJsonAtomic } from './atomic.ts';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.ts';

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
 */
export class RunDir {
  private constructor(readonly path: string, readonly config: RunConfig) {}

  static create(path: string, config: Omit<RunConfig, 'version' | 'createdAt'>): RunDir {
    const dir = resolve(path);
    if (existsSync(join(dir, 'config.json'))) {
      throw new FbnetError('USAGE', `run directory ${dir} already holds a run; resume it with --resume ${path} or choose another --out`);
    }
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    const full: RunConfig = { version: 1, createdAt: new Date().toISOString(), ...config };
    writeJsonAtomic(join(dir, 'config.json'), full);
    return new RunDir(dir, full);
  }

  static open(path: string): RunDir {
    const dir = resolve(path);
    const cfgPath = join(dir, 'config.json');
    if (!existsSync(cfgPath)) throw new FbnetError('USAGE', `${dir} is not a run directory (no config.json)`);
    let cfg: RunConfig;
    try {
      cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    } catch (e) {
      throw new FbnetError('FILE_INVALID', `${cfgPath}: not valid JSON (${(e as Error).message})`);
    }
    if (cfg.version !== 1 || typeof cfg.command !== 'string' || typeof cfg.seed !== 'number') {
      throw new FbnetError('FILE_INVALID', `${cfgPath}: not an fbnet run config (version/command/seed missing)`);
    }
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    return new RunDir(dir, cfg);
  }

  file(name: string): string {
    return join(this.path, name);
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

  readJson<T>(name: string): T | undefined {
    const p = this.file(name);
    if (!existsSync(p)) return undefined;
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  }

  saveCheckpoint<M>(name: string, ckpt: Checkpoint<M>): void {
    saveCheckpoint(join(this.path, 'checkpoints', `${name}.ckpt`), ckpt);
  }

  loadCheckpoint<M>(name: string): Checkpoint<M> | undefined {
    const p = join(this.path, 'checkpoints', `${name}.ckpt`);
    return existsSync(p) ? loadCheckpoint<M>(p) : undefined;
  }

  checkpoints(): string[] {
    return readdirSync(join(this.path, 'checkpoints'))
      .filter((f) => f.endsWith('.ckpt'))
      .map((f) => f.slice(0, -5));
  }
}

/** A fresh run id: UTC timestamp plus a short random suffix. */
export function newRunId(prefix = 'run'): string {
  const ts = new Date().toISOString().replace(/[-:]/g, '').replace(/\..+/, '').replace('T', '-');
  return `${prefix}-${ts}-${Math.random().toString(36).slice(2, 6)}`;
}

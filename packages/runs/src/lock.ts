import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FbnetError } from '@fbnet/core';

export const LOCK_FILE = 'run.lock';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  command?: string;
}

/** Locks this process holds, with how many RunDirs share each (a process may open its run twice). */
const held = new Map<string, { holder: LockHolder; count: number }>();
let exitHook = false;

function releaseAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  // 'exit' also runs after SIGINT/SIGTERM handlers call process.exit; only kill -9 leaves a lock,
  // and that one is stale (dead pid on this host) for the next process.
  process.on('exit', () => {
    for (const path of held.keys()) removeIfOurs(path);
    held.clear();
  });
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfOurs(path: string): void {
  const h = readHolder(path);
  if (h && h.pid === process.pid && h.host === hostname()) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

let seq = 0;

const sleepMs = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const sameHolder = (a: LockHolder | undefined, b: LockHolder | undefined) =>
  a === b || (!!a && !!b && a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt);

/**
 * Remove a stale lock (holder died on this host, or unreadable). Two processes may find the
 * same stale lock; without care the slower one would delete the lock the faster one just
 * took. So removal happens under a second, short-lived O_EXCL file, and only while the lock
 * still holds the stale content that was judged.
 */
function removeStale(path: string, judged: LockHolder | undefined): void {
  const guard = `${path}.takeover`;
  try {
    closeSync(openSync(guard, 'wx'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // A takeover that died half-way leaves its guard: old guards are ignored.
    try {
      if (Date.now() - statSync(guard).mtimeMs > 10_000) unlinkSync(guard);
    } catch {
      // gone meanwhile
    }
    sleepMs(20);
    return;
  }
  try {
    if (sameHolder(readHolder(path), judged)) unlinkSync(path);
  } catch {
    // already gone
  } finally {
    unlinkSync(guard);
  }
}

/**
 * Create the lock file with its full content in one step: write a private temp file, then
 * link(2) it to the lock name, which fails with EEXIST when another process holds the lock
 * (an O_EXCL create, without the window where the file exists but is still empty).
 */
function tryCreate(path: string, holder: LockHolder): boolean {
  const tmp = `${path}.${process.pid}.${seq++}.tmp`;
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, JSON.stringify(holder) + '\n');
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Take the run directory's exclusive lock (`run.lock`: pid, host, start time). A lock left by
 * a process that died on this host is stale and taken over; a live holder — or one on another
 * host, which cannot be checked — is refused with an FbnetError naming it. Re-entrant within
 * one process. Released by `releaseRunLock` or when the process exits.
 */
export function acquireRunLock(dir: string, command?: string): void {
  const path = join(dir, LOCK_FILE);
  const mine = held.get(path);
  if (mine) {
    mine.count++;
    return;
  }
  const holder: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...(command ? { command } : {}) };
  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(path, holder)) {
      held.set(path, { holder, count: 1 });
      releaseAllOnExit();
      return;
    }
    const other = readHolder(path);
    if (other && other.host === holder.host && other.pid === process.pid) {
      // Ours from an earlier RunDir of this process that was released without removing it: take it back.
      held.set(path, { holder: other, count: 1 });
      releaseAllOnExit();
      return;
    }
    if (other && (other.host !== holder.host || alive(other.pid))) {
      const what = other.command ? ` (${other.command})` : '';
      throw new FbnetError(
        'USAGE',
        `run directory ${dir} is in use by process ${other.pid} on ${other.host}${what}, started ${other.startedAt}; ` +
          `wait for it to finish, or delete ${path} if that process is gone`,
      );
    }
    removeStale(path, other);
  }
  throw new FbnetError('USAGE', `could not take the lock ${path} (other processes keep taking it)`);
}

/** Drop one hold on the lock; the file goes when the last RunDir of this process lets go. */
export function releaseRunLock(dir: string): void {
  const path = join(dir, LOCK_FILE);
  const mine = held.get(path);
  if (!mine) return;
  if (--mine.count > 0) return;
  held.delete(path);
  removeIfOurs(path);
}

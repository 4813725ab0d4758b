import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Observable, type Subscriber } from 'rxjs';
import { FbnetError, type BackendPlugin, type KernelPlan } from '@fbnet/core';
import type { CandidateEvent, CandidateJob, EvaluationQueue } from '../candidate/job.ts';
import type { ChildMessage, ParentMessage } from './_pool-child.ts';
import { MemoryResultStore, type ResultStore } from './result-store.ts';

export interface ProcessPoolQueueOptions {
  /** Child processes training at once (default 2). */
  workers?: number;
  /** The backend plugin each child initialises once (an id, or the plugin itself: its id is used). */
  backend: string | BackendPlugin;
  /** `init({ threads })` of each child's plugin (default 1: the children share the cores). */
  threads?: number;
  /** Kernel plan each child's plugin uses. */
  plan?: KernelPlan;
  /** Where results go (default: in memory); jobs already in it are not trained again. */
  store?: ResultStore;
  /**
   * Modules each child imports first, which register backend plugins with core's BACKEND_PLUGINS
   * (default the built-ins, `@fbnet/bench/plugins`; add third-party plugin modules here).
   */
  pluginModules?: string[];
  /** A job whose child dies mid-job runs again on a new child, up to this many attempts in all (default 2). */
  attempts?: number;
  /** After unsubscribing, a child whose job has not stopped within this long is killed (default 5000 ms). */
  cancelGraceMs?: number;
}

interface Task {
  job: CandidateJob;
  subs: Set<Submission>;
  attempt: number;
  child?: Child;
}

interface Submission {
  sub: Subscriber<CandidateEvent>;
  remaining: Set<string>;
}

interface Child {
  name: string;
  proc: ChildProcess;
  ready: boolean;
  dead: boolean;
  task?: Task;
  /** Id of a job given up on (unsubscribed) that the child is still stopping. */
  stopping?: string;
  killTimer?: NodeJS.Timeout;
}

const here = import.meta.url;
const FROM_SOURCE = here.endsWith('.ts');

/** How to start a child: the compiled child under node, or (tests, `tsx --conditions=source`) the TS source through tsx. */
function childEntry(): { path: string; execArgv: string[] } {
  const path = fileURLToPath(new URL(FROM_SOURCE ? './_pool-child.ts' : './_pool-child.js', here));
  const execArgv = [...process.execArgv];
  if (!FROM_SOURCE) return { path, execArgv };
  const flags = `${process.env.NODE_OPTIONS ?? ''} ${execArgv.join(' ')}`;
  if (!/tsx/.test(flags)) execArgv.push('--import', pathToFileURL(createRequire(here).resolve('tsx')).href);
  if (!/(^|\s)(--conditions[= ]|-C ?)source(\s|$)/.test(flags)) execArgv.push('--conditions=source');
  return { path, execArgv };
}

/**
 * Trains jobs in child processes on this machine (`workers` of them, each with its own backend
 * plugin initialised once), so a CPU search uses every core: same events, same results (training
 * is seeded by the job) as `InProcessQueue`. Children start on the first job and stay until
 * `close()`; idle, they do not keep the parent alive. A child that dies mid-job is replaced and the
 * job runs again on the new one (`attempts`). Unsubscribing stops the children's jobs at their
 * next step (killing a child that does not stop within `cancelGraceMs`).
 */
export class ProcessPoolQueue implements EvaluationQueue {
  readonly kind = 'processes';
  readonly store: ResultStore;
  readonly workers: number;
  readonly backend: string;
  readonly threads: number;
  private readonly o: ProcessPoolQueueOptions;
  private readonly children: Child[] = [];
  private readonly tasks = new Map<string, Task>();
  private pending: Task[] = [];
  private spawned = 0;
  private closed = false;

  constructor(o: ProcessPoolQueueOptions) {
    this.o = o;
    this.workers = o.workers ?? 2;
    if (!(Number.isInteger(this.workers) && this.workers >= 1)) throw new FbnetError('USAGE', `process pool: workers must be a positive integer, got ${o.workers}`);
    this.backend = typeof o.backend === 'string' ? o.backend : o.backend.id;
    this.threads = o.threads ?? 1;
    this.store = o.store ?? new MemoryResultStore();
  }

  submit(jobs: CandidateJob[]): Observable<CandidateEvent> {
    return new Observable<CandidateEvent>((sub) => {
      if (this.closed) {
        sub.error(new FbnetError('USAGE', 'process pool queue: submit after close()'));
        return;
      }
      const s: Submission = { sub, remaining: new Set() };
      for (const job of jobs) sub.next({ type: 'queue/job-submitted', jobId: job.id });
      const seen = new Set<string>();
      for (const job of jobs) {
        if (seen.has(job.id)) continue;
        seen.add(job.id);
        const have = this.store.get(job.id);
        if (have) {
          sub.next({ type: 'queue/job-completed', jobId: job.id, result: have, cached: true });
          continue;
        }
        s.remaining.add(job.id);
        let task = this.tasks.get(job.id);
        if (!task) {
          task = { job, subs: new Set(), attempt: 0 };
          this.tasks.set(job.id, task);
          this.pending.push(task);
        } else if (task.child) {
          sub.next({ type: 'queue/job-started', jobId: job.id, worker: task.child.name, attempt: task.attempt });
        }
        task.subs.add(s);
      }
      if (s.remaining.size === 0) {
        sub.complete();
        return;
      }
      this.dispatch();
      return () => this.detach(s);
    });
  }

  /** Stops the children (each finishes nothing more: jobs in hand are abandoned) and waits for them to exit. */
  async close(): Promise<void> {
    this.closed = true;
    const error = new FbnetError('USAGE', 'process pool queue closed while jobs were running');
    const subs = new Set([...this.tasks.values()].flatMap((t) => [...t.subs]));
    this.tasks.clear();
    this.pending = [];
    for (const s of subs) s.sub.error(error);
    await Promise.all(this.children.map((c) => this.stop(c)));
  }

  /** Children alive now (tests, diagnostics). */
  get pids(): number[] {
    return this.children.filter((c) => !c.dead && c.proc.pid !== undefined).map((c) => c.proc.pid!);
  }

  private detach(s: Submission): void {
    for (const id of s.remaining) {
      const task = this.tasks.get(id);
      if (!task) continue;
      task.subs.delete(s);
      if (task.subs.size > 0) continue;
      this.tasks.delete(id);
      if (!task.child) {
        this.pending = this.pending.filter((t) => t !== task);
        continue;
      }
      const c = task.child;
      c.task = undefined;
      c.stopping = id;
      this.send(c, { type: 'cancel', jobId: id });
      c.killTimer = setTimeout(() => c.stopping === id && c.proc.kill('SIGKILL'), this.o.cancelGraceMs ?? 5000);
      c.killTimer.unref();
    }
    s.remaining.clear();
  }

  private dispatch(): void {
    if (this.closed) return;
    for (;;) {
      const task = this.pending[0];
      if (!task) break;
      const c = this.children.find((x) => x.ready && !x.dead && !x.task && !x.stopping);
      if (!c) break;
      this.pending.shift();
      task.child = c;
      task.attempt++;
      c.task = task;
      this.hold(c, true);
      this.emit(task, { type: 'queue/job-started', jobId: task.job.id, worker: c.name, attempt: task.attempt });
      this.send(c, { type: 'job', job: task.job, attempt: task.attempt });
    }
    const alive = this.children.filter((c) => !c.dead);
    const free = alive.filter((c) => !c.task && !c.stopping).length;
    for (let n = Math.min(this.pending.length - free, this.workers - alive.length); n > 0; n--) this.spawn();
  }

  private spawn(): void {
    const name = `pool-${++this.spawned}`;
    const { path, execArgv } = childEntry();
    const proc = fork(path, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const c: Child = { name: `${name}:${proc.pid ?? '?'}`, proc, ready: false, dead: false };
    this.children.push(c);
    proc.on('message', (m: ChildMessage) => this.onMessage(c, m));
    proc.on('error', (e) => this.onExit(c, `could not start or signal it: ${e.message}`));
    proc.on('exit', (code, signal) => this.onExit(c, signal ? `killed by ${signal}` : `exit code ${code}`));
    this.send(c, {
      type: 'init',
      name: c.name,
      backend: this.backend,
      threads: this.threads,
      pluginModules: this.o.pluginModules ?? ['@fbnet/bench/plugins'],
      ...(this.o.plan ? { plan: this.o.plan } : {}),
    });
  }

  private onMessage(c: Child, m: ChildMessage): void {
    switch (m.type) {
      case 'ready':
        c.ready = true;
        this.hold(c, false);
        this.dispatch();
        return;
      case 'init-failed':
        // The backend cannot start here: every waiting job would fail the same way, so fail them now with its code
        // (the child exits next).
        for (const task of this.pending) this.fail(task, `${c.name}: ${m.error}`, m.code);
        this.pending = [];
        return;
      case 'progress':
        if (c.task?.job.id === m.jobId) this.emit(c.task, { type: 'queue/job-progress', jobId: m.jobId, epoch: m.epoch, ...(m.valAccuracy !== undefined ? { valAccuracy: m.valAccuracy } : {}) });
        return;
      case 'done':
      case 'failed':
      case 'cancelled': {
        // A result is kept even when nobody waits for it any more (first write wins, so never counted twice).
        const result = m.type === 'done' ? this.store.put(m.result).result : undefined;
        if (c.stopping === m.jobId) {
          clearTimeout(c.killTimer);
          c.stopping = undefined;
        } else if (c.task?.job.id === m.jobId) {
          const task = c.task;
          c.task = undefined;
          this.tasks.delete(task.job.id);
          if (result) {
            this.finish(task, { type: 'queue/job-completed', jobId: task.job.id, result, cached: false });
          } else if (m.type === 'failed') {
            this.fail(task, m.error, m.code);
          }
        }
        this.hold(c, false);
        this.dispatch();
        return;
      }
    }
  }

  private onExit(c: Child, why: string): void {
    if (c.dead) return;
    c.dead = true;
    clearTimeout(c.killTimer);
    this.children.splice(this.children.indexOf(c), 1);
    const task = c.task;
    c.task = undefined;
    if (task && !this.closed) {
      task.child = undefined;
      if (task.attempt < (this.o.attempts ?? 2)) {
        this.pending.unshift(task);
      } else {
        this.tasks.delete(task.job.id);
        this.fail(task, `worker process ${c.name} died while training job ${task.job.id} (${why}; attempt ${task.attempt} of ${task.attempt})`);
      }
    } else if (!c.ready && !this.closed && this.pending.length) {
      for (const t of this.pending) this.fail(t, `worker process ${c.name} died while starting (${why})`, 'BACKEND_UNAVAILABLE');
      this.pending = [];
    }
    this.dispatch();
  }

  private fail(task: Task, error: string, code?: string): void {
    this.tasks.delete(task.job.id);
    this.finish(task, { type: 'queue/job-failed', jobId: task.job.id, error, attempts: Math.max(task.attempt, 1), ...(code ? { code } : {}) });
  }

  /** The task's last event: each submission still waiting on it hears it, and completes when nothing is left. */
  private finish(task: Task, e: CandidateEvent): void {
    for (const s of [...task.subs]) {
      s.remaining.delete(task.job.id);
      s.sub.next(e);
      if (s.remaining.size === 0) s.sub.complete();
    }
    task.subs.clear();
  }

  private emit(task: Task, e: CandidateEvent): void {
    for (const s of task.subs) s.sub.next(e);
  }

  private send(c: Child, m: ParentMessage): void {
    if (!c.dead && c.proc.connected) c.proc.send(m);
  }

  /** A busy or starting child keeps the parent alive; an idle one does not (a forgotten close() cannot hang the process). */
  private hold(c: Child, busy: boolean): void {
    const channel = (c.proc as ChildProcess & { channel?: { ref(): void; unref(): void } }).channel;
    if (busy) {
      c.proc.ref();
      channel?.ref();
    } else if (!c.task && !c.stopping) {
      c.proc.unref();
      channel?.unref();
    }
  }

  private stop(c: Child): Promise<void> {
    if (c.dead) return Promise.resolve();
    return new Promise<void>((resolve) => {
      c.proc.once('exit', () => resolve());
      const t = setTimeout(() => c.proc.kill('SIGKILL'), this.o.cancelGraceMs ?? 5000);
      c.proc.once('exit', () => clearTimeout(t));
      if (c.proc.connected) c.proc.disconnect();
      else c.proc.kill('SIGTERM');
    });
  }
}

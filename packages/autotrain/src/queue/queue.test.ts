import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { CandidateEvent, CandidateJob, CandidateResult } from '../candidate/job.ts';
import { makeCandidateJob } from '../candidate/make-job.ts';
import { jointDimensions, pointFromUnit } from '../space/joint-space.ts';
import { getJointSpacePreset } from '../space/presets.ts';
import { sobolPoints } from '../sobol/sobol.ts';
import { BullmqQueue } from './bullmq-queue.ts';
import { InProcessQueue } from './in-process.ts';
import { redisServerPath, startRedis, type TestRedis } from './_redis-server.ts';
import { resultsKey } from './redis-connection.ts';
import { runStage } from '@fbnet/core';
import { coarseSearchStage } from '../coarse/coarse-search.ts';
import { tinyCoarseInput } from '../coarse/_stage-test-support.ts';

const space = getJointSpacePreset('fbnet-v3-tiny');
const data = { source: 'fashion-mnist' as const, trainImages: 100, valImages: 50, seed: 3 };
const jobs: CandidateJob[] = sobolPoints(6, jointDimensions(space).length, { shiftSeed: 5 }).map((u) =>
  makeCandidateJob(space, pointFromUnit(space, u), { budget: 1, seed: 1, data }),
);
const completed = (events: CandidateEvent[]) => events.filter((e): e is Extract<CandidateEvent, { type: 'queue/job-completed' }> => e.type === 'queue/job-completed');
const same = (r: CandidateResult) => ({ id: r.id, accuracy: r.accuracy, curve: r.curve, diverged: r.diverged, params: r.params });

let reference: Map<string, CandidateResult>;

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const q = new InProcessQueue();
  const events = await lastValueFrom(q.submit(jobs).pipe(toArray()));
  reference = new Map(completed(events).map((e) => [e.jobId, e.result]));
});

describe('InProcessQueue', () => {
  it('trains every job once, in order, and serves repeats from its store', async () => {
    expect(reference.size).toBe(jobs.length);
    for (const r of reference.values()) {
      expect(r.epochs).toBe(1);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.curve).toHaveLength(r.diverged ? 2 : 1);
    }
    const q = new InProcessQueue();
    const again = await lastValueFrom(q.submit([jobs[0], jobs[0]]).pipe(toArray()));
    expect(completed(again)).toHaveLength(1);
    expect(same(completed(again)[0].result)).toEqual(same(reference.get(jobs[0].id)!));
    const third = await lastValueFrom(q.submit([jobs[0]]).pipe(toArray()));
    expect(completed(third)[0].cached).toBe(true);
  });
});

const here = fileURLToPath(new URL('.', import.meta.url));
const hasRedis = !!redisServerPath();

/** A worker in a child process; resolves once it is connected. */
function spawnWorker(url: string, queue: string, name: string): { proc: ChildProcess; lines: Record<string, unknown>[]; ready: Promise<void>; wait(pred: (e: Record<string, unknown>) => boolean): Promise<void> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', `${here}_worker-child.ts`], {
    env: { ...process.env, REDIS_URL: url, QUEUE: queue, WORKER_NAME: name, LOCK_MS: '3000', STALLED_MS: '1000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { pred: (e: Record<string, unknown>) => boolean; res: () => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(l);
    } catch {
      return;
    }
    lines.push(e);
    for (const w of [...waiters]) if (w.pred(e)) (waiters.splice(waiters.indexOf(w), 1), w.res());
  });
  const wait = (pred: (e: Record<string, unknown>) => boolean) =>
    lines.some(pred) ? Promise.resolve() : new Promise<void>((res) => waiters.push({ pred, res }));
  return { proc, lines, ready: wait((e) => e.type === 'child/ready'), wait };
}

describe.skipIf(!hasRedis)('BullMQ queue on Redis (private redis-server)', () => {
  let redis: TestRedis;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await redis?.stop();
  });

  it('two workers give the same results as in process', async () => {
    const a = spawnWorker(redis.url, 'same', 'w1');
    const b = spawnWorker(redis.url, 'same', 'w2');
    children.push(a.proc, b.proc);
    await Promise.all([a.ready, b.ready]);
    const q = new BullmqQueue({ connection: redis.url, queueName: 'same', pollMs: 200 });
    const events = await lastValueFrom(q.submit(jobs).pipe(toArray()));
    const done = completed(events);
    expect(done.map((e) => e.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
    for (const e of done) expect(same(e.result)).toEqual(same(reference.get(e.jobId)!));
    // resubmitting finished jobs trains nothing: results come from the result hash
    const again = completed(await lastValueFrom(q.submit(jobs.slice(0, 2)).pipe(toArray())));
    expect(again.every((e) => e.cached)).toBe(true);
    await q.close();
    a.proc.kill('SIGTERM');
    b.proc.kill('SIGTERM');
  });

  it('the coarse stage with a redis queue spec trains its candidates on workers, to the in-process result', async () => {
    const input = tinyCoarseInput(space, data);
    const ctx = { seed: 2, backend: { id: 'cpu' } };
    const local = await runStage(coarseSearchStage({ ...input, queue: { kind: 'in-process' } }, ctx));
    const w = spawnWorker(redis.url, 'coarse', 'w-coarse');
    children.push(w.proc);
    await w.ready;
    const workers = new Set<string>();
    const remote = await runStage(coarseSearchStage({ ...input, queue: { kind: 'redis', connection: redis.url, queueName: 'coarse' } }, ctx), {
      onEvent: (e) => e.type === 'queue/job-started' && workers.add((e as CandidateEvent & { worker: string }).worker),
    });
    expect([...workers].every((x) => x !== 'in-process')).toBe(true);
    expect(remote.samples.map((x) => [x.id, x.accuracy, x.curve])).toEqual(local.samples.map((x) => [x.id, x.accuracy, x.curve]));
    expect(remote.samples.every((x) => x.worker !== 'in-process')).toBe(true);
    w.proc.kill('SIGTERM');
  }, 180_000);

  it('a worker killed mid-job: the job is retried by another worker and counted once', async () => {
    const queue = 'kill';
    const q = new BullmqQueue({ connection: redis.url, queueName: queue, pollMs: 200 });
    const a = spawnWorker(redis.url, queue, 'doomed');
    children.push(a.proc);
    await a.ready;
    const stream = lastValueFrom(q.submit(jobs.slice(0, 3)).pipe(toArray()));
    await a.wait((e) => e.type === 'worker/job-started');
    const victim = a.lines.find((e) => e.type === 'worker/job-started')!.jobId as string;
    a.proc.kill('SIGKILL');
    const b = spawnWorker(redis.url, queue, 'rescuer');
    children.push(b.proc);
    const events = await stream;
    const done = completed(events);
    expect(done.map((e) => e.jobId).sort()).toEqual(jobs.slice(0, 3).map((j) => j.id).sort());
    expect(new Set(done.map((e) => e.jobId)).size).toBe(3);
    const killed = done.find((e) => e.jobId === victim)!;
    expect(killed.result.worker).toBe('rescuer');
    for (const e of done) expect(same(e.result)).toEqual(same(reference.get(e.jobId)!));
    expect(b.lines.filter((e) => e.type === 'worker/job-started' && e.jobId === victim)).toHaveLength(1);
    const conn = new Redis(redis.url);
    expect(await conn.hlen(resultsKey(queue))).toBe(3);
    conn.disconnect();
    await q.close();
    b.proc.kill('SIGTERM');
  });
});

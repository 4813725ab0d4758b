import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Subject, type Observable } from 'rxjs';
import type { EventUnion } from '@fbnet/core';
import { parseCandidateJob, type CandidateResult } from '../candidate/job.ts';
import { trainCandidate } from '../candidate/train-candidate.ts';
import { DEFAULT_QUEUE_NAME, parseRedisConnection, resultsKey, type RedisConnection } from './redis-connection.ts';
import { probeRedis, type RedisProbeOptions } from './redis-probe.ts';

export interface RunWorkerOptions {
  /** `redis://host:port` or connection options. */
  connection: string | RedisConnection;
  /** Jobs trained at once in this process (they share the TF.js backend; 1 is right for CPU). */
  concurrency?: number;
  queueName?: string;
  /** Worker name in results and job records (default `host:pid`). */
  name?: string;
  /**
   * A job whose lock is not renewed for this long is stalled (its worker died) and goes back
   * to the queue for another worker. Training yields between steps, so the lock keeps renewing.
   */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs. */
  stalledIntervalMs?: number;
  /** Stalls a job survives before it fails for good. */
  maxStalledCount?: number;
  /** Bounded first connection (timeout, attempts); an unreachable Redis fails with QUEUE_UNREACHABLE naming it. */
  probe?: RedisProbeOptions;
}

export type WorkerEventMap = {
  'worker/job-started': { worker: string; jobId: string; attempt: number };
  'worker/job-progress': { worker: string; jobId: string; epoch: number; valAccuracy?: number };
  /** `cached`: the result was already stored (a retry of a finished job), nothing was trained. */
  'worker/job-completed': { worker: string; jobId: string; accuracy: number; seconds: number; cached: boolean };
  'worker/job-failed': { worker: string; jobId: string; error: string };
};
export type WorkerEvent = EventUnion<WorkerEventMap>;

export interface WorkerHandle {
  readonly name: string;
  readonly events$: Observable<WorkerEvent>;
  /** Finish the jobs in hand, then stop (`force`: stop now; the jobs stall and are retried elsewhere). */
  close(force?: boolean): Promise<void>;
}

/**
 * A candidate-training worker (`fbnet worker --queue redis://…`): takes jobs from the BullMQ
 * queue, trains each on the active TF.js backend (initialise it first) and stores the result
 * with HSETNX under the job id, so a job retried after a crash is counted once.
 */
export async function runWorker(o: RunWorkerOptions): Promise<WorkerHandle> {
  const conn = parseRedisConnection(o.connection);
  const queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
  const name = o.name ?? `${hostname()}:${process.pid}`;
  const key = resultsKey(queueName);
  // BullMQ waits for Redis forever (and ioredis prints every failed reconnect): check it answers first.
  await probeRedis(o.connection, o.probe);
  const redis = new Redis({ ...conn, maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const subject = new Subject<WorkerEvent>();
  const process_ = async (job: Job): Promise<CandidateResult> => {
    const cj = parseCandidateJob(job.data);
    const stored = await redis.hget(key, cj.id);
    if (stored) {
      const r = JSON.parse(stored) as CandidateResult;
      subject.next({ type: 'worker/job-completed', worker: name, jobId: cj.id, accuracy: r.accuracy, seconds: 0, cached: true });
      return r;
    }
    subject.next({ type: 'worker/job-started', worker: name, jobId: cj.id, attempt: job.attemptsMade + 1 });
    const r = await trainCandidate(cj, {
      worker: name,
      onEpoch: (epoch, valAccuracy) => {
        subject.next({ type: 'worker/job-progress', worker: name, jobId: cj.id, epoch, valAccuracy });
        void job.updateProgress({ epoch, valAccuracy: valAccuracy ?? null }).catch(() => undefined);
      },
    });
    const first = await redis.hsetnx(key, cj.id, JSON.stringify(r));
    const result = first ? r : (JSON.parse((await redis.hget(key, cj.id))!) as CandidateResult);
    subject.next({ type: 'worker/job-completed', worker: name, jobId: cj.id, accuracy: result.accuracy, seconds: r.seconds, cached: !first });
    return result;
  };
  const worker = new Worker(queueName, process_, {
    connection: { ...conn, maxRetriesPerRequest: null },
    concurrency: o.concurrency ?? 1,
    name,
    lockDuration: o.lockDurationMs ?? 60_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    maxStalledCount: o.maxStalledCount ?? 2,
    removeOnComplete: { count: 10_000 },
  });
  worker.on('failed', (job, err) => subject.next({ type: 'worker/job-failed', worker: name, jobId: job?.id ?? '?', error: err.message }));
  // BullMQ reports transient connection trouble as 'error' events and reconnects by itself;
  // without a listener Node would treat them as uncaught. A library does not log them.
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  return {
    name,
    events$: subject.asObservable(),
    async close(force = false) {
      await worker.close(force);
      await redis.quit().catch(() => undefined);
      subject.complete();
    },
  };
}

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Observable } from 'rxjs';
import type { CandidateEvent, CandidateJob, CandidateResult, EvaluationQueue } from '../candidate/job.ts';
import { DEFAULT_QUEUE_NAME, parseRedisConnection, resultsKey, type RedisConnection } from './redis-connection.ts';
import { probeRedis, type RedisProbeOptions } from './redis-probe.ts';

export interface BullmqQueueOptions {
  connection: string | RedisConnection;
  queueName?: string;
  /** Tries per job before it fails for good (a worker's crash is a stall, not an attempt; see runWorker). */
  attempts?: number;
  /** How often the coordinator looks for results and job states. */
  pollMs?: number;
  /** Bounded first connection (timeout, attempts); an unreachable Redis fails with QUEUE_UNREACHABLE naming it. */
  probe?: RedisProbeOptions;
}

interface Clients {
  queue: Queue;
  redis: Redis;
}

/**
 * Candidate evaluation through a BullMQ queue on Redis: jobs are added with their id as the
 * BullMQ job id (adding an id twice is a no-op), workers anywhere (`runWorker`) train them and
 * store each result with HSETNX in one hash, so a retried or duplicated job is counted once and
 * a finished result is never lost — even when the coordinator was not listening at the time.
 */
export class BullmqQueue implements EvaluationQueue {
  readonly kind = 'bullmq';
  readonly queueName: string;
  private readonly conn: RedisConnection;
  private readonly attempts: number;
  private readonly pollMs: number;
  private clients?: Promise<Clients>;
  private opened?: Clients;

  constructor(private readonly o: BullmqQueueOptions) {
    this.conn = parseRedisConnection(o.connection);
    this.queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
    this.attempts = o.attempts ?? 3;
    this.pollMs = o.pollMs ?? 500;
  }

  /**
   * Connect on first use, after a bounded probe: BullMQ and ioredis reconnect forever, so
   * constructed against a dead address they would hang the search without a word.
   */
  private connect(): Promise<Clients> {
    this.clients ??= probeRedis(this.o.connection, this.o.probe).then(
      () => {
        const queue = new Queue(this.queueName, { connection: this.conn });
        const redis = new Redis({ ...this.conn, maxRetriesPerRequest: null, lazyConnect: false });
        // Connection trouble after the probe is retried by ioredis; a library does not print it.
        queue.on('error', () => undefined);
        redis.on('error', () => undefined);
        this.opened = { queue, redis };
        return this.opened;
      },
      (e: unknown) => {
        this.clients = undefined;
        throw e;
      },
    );
    return this.clients;
  }

  submit(jobs: CandidateJob[]): Observable<CandidateEvent> {
    return new Observable<CandidateEvent>((sub) => {
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const key = resultsKey(this.queueName);
      const pending = new Set<string>();
      const started = new Map<string, number>();
      const finish = (id: string) => pending.delete(id);
      const run = async () => {
        const { queue, redis } = await this.connect();
        if (stopped) return;
        const unique = [...new Map(jobs.map((j) => [j.id, j])).values()];
        for (const j of unique) sub.next({ type: 'queue/job-submitted', jobId: j.id });
        const have = unique.length ? await redis.hmget(key, ...unique.map((j) => j.id)) : [];
        const toAdd: CandidateJob[] = [];
        unique.forEach((j, i) => {
          const r = have[i];
          if (r) sub.next({ type: 'queue/job-completed', jobId: j.id, result: JSON.parse(r) as CandidateResult, cached: true });
          else {
            pending.add(j.id);
            toAdd.push(j);
          }
        });
        if (toAdd.length) {
          await queue.addBulk(
            toAdd.map((j) => ({
              name: 'candidate',
              data: j,
              opts: { jobId: j.id, attempts: this.attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { count: 10_000 }, removeOnFail: { count: 10_000 } },
            })),
          );
        }
        const poll = async () => {
          if (stopped) return;
          if (!pending.size) {
            sub.complete();
            return;
          }
          const ids = [...pending];
          const results = await redis.hmget(key, ...ids);
          for (let i = 0; i < ids.length; i++) {
            const id = ids[i];
            const r = results[i];
            if (r) {
              finish(id);
              sub.next({ type: 'queue/job-completed', jobId: id, result: JSON.parse(r) as CandidateResult, cached: false });
              continue;
            }
            const job = await queue.getJob(id);
            if (!job) continue;
            const state = await job.getState();
            if (state === 'failed') {
              // The worker may have stored the result and then failed to acknowledge: the result wins.
              const late = await redis.hget(key, id);
              finish(id);
              if (late) sub.next({ type: 'queue/job-completed', jobId: id, result: JSON.parse(late) as CandidateResult, cached: false });
              else sub.next({ type: 'queue/job-failed', jobId: id, error: job.failedReason ?? 'failed', attempts: job.attemptsMade });
            } else if (state === 'active') {
              const attempt = (job.attemptsStarted ?? job.attemptsMade + 1);
              if (started.get(id) !== attempt) {
                started.set(id, attempt);
                sub.next({ type: 'queue/job-started', jobId: id, worker: job.processedBy ?? 'redis-worker', attempt });
              }
            }
          }
          if (stopped) return;
          if (!pending.size) sub.complete();
          else timer = setTimeout(() => poll().catch((e) => sub.error(e)), this.pollMs);
        };
        await poll();
      };
      run().catch((e) => sub.error(e));
      return () => {
        stopped = true;
        if (timer) clearTimeout(timer);
      };
    });
  }

  /** Results stored so far for these ids (a coordinator that restarted can collect them). */
  async results(ids: string[]): Promise<(CandidateResult | undefined)[]> {
    if (!ids.length) return [];
    const { redis } = await this.connect();
    return (await redis.hmget(resultsKey(this.queueName), ...ids)).map((r) => (r ? (JSON.parse(r) as CandidateResult) : undefined));
  }

  async close(): Promise<void> {
    const connecting = this.clients;
    this.clients = undefined;
    // A connection still being made is waited for, so that its clients are closed too.
    const c = this.opened ?? (connecting ? await connecting.catch(() => undefined) : undefined);
    this.opened = undefined;
    if (!c) return;
    await c.queue.close();
    await c.redis.quit().catch(() => undefined);
  }
}

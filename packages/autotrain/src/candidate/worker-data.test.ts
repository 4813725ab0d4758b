import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClassFolder } from '@fbnet/data/testing';
import { BullmqQueue } from '../queue/bullmq-queue.ts';
import { InProcessQueue } from '../queue/in-process.ts';
import { redisServerPath, startRedis, type TestRedis } from '../queue/_redis-server.ts';
import { jointDimensions, pointFromUnit } from '../space/joint-space.ts';
import { getJointSpacePreset } from '../space/presets.ts';
import type { CandidateEvent, DataSpec } from './job.ts';
import { makeCandidateJob } from './make-job.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-worker-data-'));
const cache = join(root, 'cache');
// Decoded images go to this test's cache, not the user's (the worker child gets the same).
process.env.XDG_CACHE_HOME = cache;
const folder = join(root, 'rgb3');
writeClassFolder(folder, [14, 16, 12], 12);

const space = { ...getJointSpacePreset('fbnet-v3-tiny'), input_channels: 3, num_classes: 3 };
const spec = (path: string): DataSpec => ({ source: 'path', path, format: 'folder', valFraction: 0.2, trainImages: 24, valImages: 6, seed: 5 });
const jobs = [0.2, 0.7].map((u) => makeCandidateJob(space, pointFromUnit(space, jointDimensions(space).map(() => u)), { budget: 1, seed: 1, data: spec(folder) }));
const missing = join(root, 'not-on-this-worker');
const bad = makeCandidateJob(space, pointFromUnit(space, jointDimensions(space).map(() => 0.5)), { budget: 1, seed: 1, data: spec(missing) });
const completed = (events: CandidateEvent[]) => events.filter((e): e is Extract<CandidateEvent, { type: 'queue/job-completed' }> => e.type === 'queue/job-completed');

describe.skipIf(!redisServerPath())('user-data candidate jobs on a worker process (private redis-server)', () => {
  let redis: TestRedis;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
    redis = await startRedis();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('the worker loads the data from the job (same results as in process); a path it cannot see fails the job, naming the path', async () => {
    const local = completed(await lastValueFrom(new InProcessQueue().submit(jobs).pipe(toArray())));
    const here = fileURLToPath(new URL('../queue/', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', `${here}_worker-child.ts`], {
      env: { ...process.env, XDG_CACHE_HOME: cache, REDIS_URL: redis.url, QUEUE: 'user-data', WORKER_NAME: 'w-data', LOCK_MS: '3000', STALLED_MS: '1000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((res) => createInterface({ input: child!.stdout! }).on('line', (l) => l.includes('child/ready') && res()));
    const q = new BullmqQueue({ connection: redis.url, queueName: 'user-data', pollMs: 200, attempts: 1 });
    const events = await lastValueFrom(q.submit([...jobs, bad]).pipe(toArray()));
    await q.close();
    const remote = completed(events);
    expect(remote.map((e) => e.result.worker)).toEqual(['w-data', 'w-data']);
    const key = (r: { id: string; accuracy: number; curve: number[]; params: number }) => [r.id, r.accuracy, r.curve, r.params];
    expect(remote.map((e) => key(e.result)).sort()).toEqual(local.map((e) => key(e.result)).sort());
    const failed = events.find((e) => e.type === 'queue/job-failed');
    expect(failed && failed.jobId).toBe(bad.id);
    expect(failed && failed.type === 'queue/job-failed' && failed.error).toContain(`${missing}: candidate data path does not exist`);
  }, 120_000);
});

import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePlugin } from '@fbnet/bench/plugins';
import type { CandidateEvent, CandidateJob, CandidateResult } from '../candidate/job.ts';
import { makeCandidateJob } from '../candidate/make-job.ts';
import { jointDimensions, pointFromUnit } from '../space/joint-space.ts';
import { getJointSpacePreset } from '../space/presets.ts';
import { sobolPoints } from '../sobol/sobol.ts';
import { runStage } from '@fbnet/core';
import { coarseSearchStage, queueFrom } from '../coarse/coarse-search.ts';
import { tinyCoarseInput } from '../coarse/_stage-test-support.ts';
import { InProcessQueue } from './in-process.ts';
import { ProcessPoolQueue } from './process-pool.ts';
import { MemoryResultStore } from './result-store.ts';

const space = getJointSpacePreset('fbnet-v3-tiny');
const data = { source: 'fashion-mnist' as const, trainImages: 100, valImages: 50, seed: 3 };
const jobs: CandidateJob[] = sobolPoints(3, jointDimensions(space).length, { shiftSeed: 5 }).map((u) =>
  makeCandidateJob(space, pointFromUnit(space, u), { budget: 1, seed: 1, data }),
);
/** A longer job (more images, several epochs): still training when the tests cancel or kill it. */
const slow = (() => {
  const point = pointFromUnit(space, sobolPoints(1, jointDimensions(space).length, { shiftSeed: 9 })[0]);
  const j = makeCandidateJob(space, point, { seed: 4, data: { ...data, trainImages: 1000, valImages: 100 } });
  return { ...j, recipe: { ...j.recipe, epochs: 20 }, epochs: 20, id: 'slow' };
})();

type Ev<T extends CandidateEvent['type']> = Extract<CandidateEvent, { type: T }>;
const of = <T extends CandidateEvent['type']>(events: CandidateEvent[], type: T) => events.filter((e): e is Ev<T> => e.type === type);
const same = (r: CandidateResult) => ({ id: r.id, accuracy: r.accuracy, curve: r.curve, trainLoss: r.trainLoss, diverged: r.diverged, params: r.params });
const pidOf = (worker: string) => Number(worker.split(':').at(-1));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let reference: Map<string, CandidateResult>;
const opened: ProcessPoolQueue[] = [];
const pool = (o: Partial<ConstructorParameters<typeof ProcessPoolQueue>[0]> = {}) => {
  const q = new ProcessPoolQueue({ workers: 2, backend: 'cpu', threads: 1, ...o });
  opened.push(q);
  return q;
};

beforeAll(async () => {
  await (await resolvePlugin('cpu')).init({ threads: 1 });
  const events = await lastValueFrom(new InProcessQueue().submit(jobs).pipe(toArray()));
  reference = new Map(of(events, 'queue/job-completed').map((e) => [e.jobId, e.result]));
});
afterAll(async () => {
  await Promise.all(opened.map((q) => q.close()));
});

describe('ProcessPoolQueue', () => {
  it('trains in child processes to the in-process results, bit for bit, with the same events', async () => {
    const q = pool();
    const events = await lastValueFrom(q.submit(jobs).pipe(toArray()));
    expect(of(events, 'queue/job-submitted').map((e) => e.jobId)).toEqual(jobs.map((j) => j.id));
    const started = of(events, 'queue/job-started');
    expect(started.map((e) => e.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(started.every((e) => /^pool-\d+:\d+$/.test(e.worker) && e.attempt === 1)).toBe(true);
    // both children start; which trains what depends on which is ready first (3 tiny jobs may all go to one)
    expect(new Set(started.map((e) => e.worker)).size).toBeLessThanOrEqual(2);
    expect(of(events, 'queue/job-progress').length).toBe(jobs.length);
    const done = of(events, 'queue/job-completed');
    expect(done.map((e) => e.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
    for (const e of done) {
      expect(e.cached).toBe(false);
      expect(same(e.result)).toEqual(same(reference.get(e.jobId)!));
      expect(e.result.worker).toBe(started.find((s) => s.jobId === e.jobId)!.worker);
    }
    // repeats are served from the store, nothing is trained again
    const again = await lastValueFrom(q.submit([jobs[0], jobs[0], jobs[1]]).pipe(toArray()));
    expect(of(again, 'queue/job-started')).toHaveLength(0);
    expect(of(again, 'queue/job-completed').map((e) => [e.jobId, e.cached])).toEqual([[jobs[0].id, true], [jobs[1].id, true]]);
    const pids = q.pids;
    expect(pids).toHaveLength(2);
    await q.close();
    expect(pids.some(alive)).toBe(false);
    expect(() => q.submit(jobs)).not.toThrow();
    await expect(lastValueFrom(q.submit(jobs))).rejects.toThrow(/after close/);
  });

  it('respects a given store and keeps FbnetError codes of failed jobs', async () => {
    const store = new MemoryResultStore();
    store.put(reference.get(jobs[0].id)!);
    const missing = { ...jobs[1], id: 'missing-data', data: { source: 'path' as const, path: '/nonexistent/fbnet-data', valFraction: 0.1, trainImages: 10, valImages: 10, seed: 0 } };
    const events = await lastValueFrom(pool({ store, workers: 1 }).submit([jobs[0], missing]).pipe(toArray()));
    expect(of(events, 'queue/job-completed').map((e) => [e.jobId, e.cached])).toEqual([[jobs[0].id, true]]);
    expect(of(events, 'queue/job-started').map((e) => e.jobId)).toEqual(['missing-data']);
    const [failed] = of(events, 'queue/job-failed');
    expect(failed).toMatchObject({ jobId: 'missing-data', code: 'FILE_INVALID', attempts: 1 });
    expect(failed.error).toMatch(/nonexistent/);
  });

  it('unsubscribing stops the job in hand without killing the child; a later submit trains on it', async () => {
    const store = new MemoryResultStore();
    const q = pool({ store, workers: 1, cancelGraceMs: 60_000 });
    const stream = q.submit([slow]);
    const started = await new Promise<Ev<'queue/job-started'>>((resolve) => {
      const sub = stream.subscribe((e) => {
        if (e.type !== 'queue/job-started') return;
        sub.unsubscribe();
        resolve(e);
      });
    });
    const events = await lastValueFrom(q.submit([jobs[2]]).pipe(toArray()));
    const [done] = of(events, 'queue/job-completed');
    expect(same(done.result)).toEqual(same(reference.get(jobs[2].id)!));
    // the same child trained it (stopped, not killed: the grace period is a minute), and the slow job never finished
    expect(done.result.worker).toBe(started.worker);
    expect(store.get('slow')).toBeUndefined();
    expect(q.pids).toEqual([pidOf(started.worker)]);
  });

  it('a child killed mid-job: the job runs again on a new child and completes once, for every subscriber', async () => {
    const q = pool({ workers: 1 });
    const quick = { ...slow, id: 'retried', epochs: 1 };
    const events: CandidateEvent[] = [];
    const finished = new Promise<void>((resolve) => q.submit([quick]).subscribe({ next: (e) => {
      events.push(e);
      if (e.type === 'queue/job-started' && e.attempt === 1) process.kill(pidOf(e.worker), 'SIGKILL');
    }, complete: resolve }));
    // a second submission of the same job while it runs waits for the same training
    const other = lastValueFrom(q.submit([quick]).pipe(toArray()));
    await finished;
    const started = of(events, 'queue/job-started');
    expect(started.map((e) => e.attempt)).toEqual([1, 2]);
    expect(started[1].worker).not.toBe(started[0].worker);
    const done = of(events, 'queue/job-completed');
    expect(done).toHaveLength(1);
    expect(done[0].result.worker).toBe(started[1].worker);
    const theirs = of(await other, 'queue/job-completed');
    expect(theirs).toHaveLength(1);
    expect(theirs[0].result).toEqual(done[0].result);
  });

  it('a job whose child dies on its last attempt fails, naming the child, without hanging', async () => {
    const q = pool({ workers: 1, attempts: 1 });
    const stream = q.submit([{ ...slow, id: 'doomed' }]);
    const events: CandidateEvent[] = [];
    const finished = new Promise<void>((resolve) => stream.subscribe({ next: (e) => {
      events.push(e);
      if (e.type === 'queue/job-started') process.kill(pidOf(e.worker), 'SIGKILL');
    }, complete: resolve }));
    await finished;
    const [failed] = of(events, 'queue/job-failed');
    expect(failed.jobId).toBe('doomed');
    expect(failed.error).toMatch(/worker process pool-\d+:\d+ died while training job doomed \(killed by SIGKILL/);
    expect(of(events, 'queue/job-completed')).toHaveLength(0);
  });

  it('a backend the children cannot start fails the jobs with its code', async () => {
    const events = await lastValueFrom(pool({ backend: 'no-such-backend' }).submit(jobs.slice(0, 2)).pipe(toArray()));
    const failed = of(events, 'queue/job-failed');
    expect(failed.map((e) => e.jobId).sort()).toEqual(jobs.slice(0, 2).map((j) => j.id).sort());
    expect(failed[0].code).toBe('REGISTRY_UNKNOWN');
    expect(failed[0].error).toMatch(/no-such-backend/);
  });

  it('the coarse stage with a processes queue spec trains its candidates in children, to the in-process result', async () => {
    const input = tinyCoarseInput(space, data);
    const ctx = { seed: 2, backend: { id: 'cpu' } };
    const local = await runStage(coarseSearchStage({ ...input, queue: { kind: 'in-process' } }, ctx));
    const workers = new Set<string>();
    const remote = await runStage(coarseSearchStage({ ...input, queue: { kind: 'processes', workers: 2, backend: 'cpu' } }, ctx), {
      onEvent: (e) => e.type === 'queue/job-started' && workers.add((e as Ev<'queue/job-started'>).worker),
    });
    expect([...workers].every((w) => /^pool-\d+:\d+$/.test(w))).toBe(true);
    expect(remote.samples.map((x) => [x.id, x.accuracy, x.curve])).toEqual(local.samples.map((x) => [x.id, x.accuracy, x.curve]));
  }, 180_000);

  it('is the queue of the spec { kind: "processes" }', async () => {
    const { queue, owned } = queueFrom({ kind: 'processes', workers: 3, backend: 'cpu' });
    expect(owned).toBe(true);
    expect(queue).toBeInstanceOf(ProcessPoolQueue);
    expect((queue as ProcessPoolQueue).workers).toBe(3);
    await queue.close?.();
    // the backend defaults to the stage's; without one known, the spec must name it
    const stages = queueFrom({ kind: 'processes' }, { id: 'wasm' }).queue as ProcessPoolQueue;
    expect([stages.backend, stages.workers, stages.threads]).toEqual(['wasm', 2, 1]);
    expect(() => queueFrom({ kind: 'processes' })).toThrow(/backend \(a plugin id\) is required/);
    expect(() => queueFrom({ kind: 'processes', workers: 0, backend: 'cpu' })).toThrow(/workers must be a positive integer/);
  });
});

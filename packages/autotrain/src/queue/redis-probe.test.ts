import { lastValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FbnetError } from '@fbnet/core';
import { makeCandidateJob } from '../candidate/make-job.ts';
import { jointDimensions, pointFromUnit } from '../space/joint-space.ts';
import { getJointSpacePreset } from '../space/presets.ts';
import { sobolPoints } from '../sobol/sobol.ts';
import { BullmqQueue } from './bullmq-queue.ts';
import { probeRedis, redisUrlForDisplay } from './redis-probe.ts';
import { runWorker } from './worker.ts';

// Port 1 (tcpmux) is closed on any machine that runs these tests: connections are refused at once.
const DEAD = 'redis://127.0.0.1:1';

describe('an unreachable Redis fails fast, names the URL, and prints nothing', () => {
  let printed: string[];
  beforeEach(() => {
    printed = [];
    for (const m of ['error', 'warn', 'log'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(a.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());

  const expectUnreachable = (e: unknown) => {
    expect(e).toBeInstanceOf(FbnetError);
    expect((e as FbnetError).code).toBe('QUEUE_UNREACHABLE');
    expect((e as Error).message).toMatch(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED; 3 attempt\(s\), 2000 ms each\)/);
  };

  it('fbnet worker: runWorker rejects within seconds', async () => {
    const t0 = Date.now();
    const err = await runWorker({ connection: DEAD }).then(() => undefined, (e: unknown) => e);
    expectUnreachable(err);
    expect(Date.now() - t0).toBeLessThan(8000);
    // give a stray reconnect loop a chance to print before checking that none did
    await new Promise((r) => setTimeout(r, 1500));
    expect(printed.filter((l) => /Unhandled error event|ECONNREFUSED/.test(l))).toEqual([]);
  }, 15_000);

  it('search v3 --queue: the queue stream errors, and close() returns', async () => {
    const space = getJointSpacePreset('fbnet-v3-tiny');
    const [u] = sobolPoints(1, jointDimensions(space).length, { shiftSeed: 1 });
    const job = makeCandidateJob(space, pointFromUnit(space, u), { budget: 1, seed: 1, data: { source: 'fashion-mnist', trainImages: 100, valImages: 50, seed: 1 } });
    const q = new BullmqQueue({ connection: DEAD });
    const err = await lastValueFrom(q.submit([job])).then(() => undefined, (e: unknown) => e);
    expectUnreachable(err);
    await q.close();
    await new Promise((r) => setTimeout(r, 1500));
    expect(printed.filter((l) => /Unhandled error event|ECONNREFUSED/.test(l))).toEqual([]);
  }, 15_000);

  it('the probe bounds a silent address by its timeout too, and hides passwords', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed, so the connect just times out (or is unreachable at once).
    const t0 = Date.now();
    await expect(probeRedis('redis://192.0.2.1:6379', { timeoutMs: 300, attempts: 2, retryDelayMs: 50 })).rejects.toThrow(/cannot reach Redis at redis:\/\/192\.0\.2\.1:6379/);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(redisUrlForDisplay('redis://user:secret@host:6379/2')).toBe('redis://user:***@host:6379/2');
  }, 10_000);
});

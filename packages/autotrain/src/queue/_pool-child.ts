// A child process of ProcessPoolQueue: initialises the backend plugin once, then trains the jobs its parent
// sends, one at a time, with the same `trainCandidate` as the in-process queue (so the same job gives the same
// result). It exits when the parent disconnects (queue closed, or the parent died).
//
// The messages between the two are typed here and the queue imports them (type only): that also puts this file in
// the build's program, which compiles what the packages' entry points reach, so dist/ has the child it forks.
// IPC uses structured-clone serialization, so NaN in a curve survives the trip.
import { BACKEND_PLUGINS, FbnetError, isFbnetError, type KernelPlan } from '@fbnet/core';
import type { CandidateJob, CandidateResult } from '../candidate/job.ts';
import { trainCandidate } from '../candidate/train-candidate.ts';

export interface PoolInit {
  type: 'init';
  /** The child's name: the `worker` of its events and results. */
  name: string;
  /** Backend plugin id, resolved through core's BACKEND_PLUGINS once `pluginModules` are imported. */
  backend: string;
  threads: number;
  plan?: KernelPlan;
  /** Modules that register backend plugins when imported (the built-ins: `@fbnet/bench/plugins`). */
  pluginModules: string[];
}

export type ParentMessage = PoolInit | { type: 'job'; job: CandidateJob; attempt: number } | { type: 'cancel'; jobId: string };

export type ChildMessage =
  | { type: 'ready'; backend: string }
  | { type: 'init-failed'; error: string; code?: string }
  | { type: 'progress'; jobId: string; epoch: number; valAccuracy?: number }
  | { type: 'done'; jobId: string; result: CandidateResult }
  | { type: 'failed'; jobId: string; error: string; code?: string }
  | { type: 'cancelled'; jobId: string };

const send = (m: ChildMessage) => {
  if (process.connected) process.send!(m);
};
const codeOf = (e: unknown) => (isFbnetError(e) ? { code: e.code } : {});

let name = `pool:${process.pid}`;
let ready: Promise<void> | undefined;
let cancelled: string | undefined;

async function init(m: PoolInit): Promise<void> {
  name = m.name;
  // As the CLI's setupPlugin does: no TF.js console banners from a library's children.
  (await import('@tensorflow/tfjs-core')).env().set('PROD', true);
  for (const spec of m.pluginModules) {
    try {
      await import(spec);
    } catch (e) {
      throw new FbnetError('BACKEND_UNAVAILABLE', `process pool: cannot import plugin module "${spec}": ${(e as Error).message}`);
    }
  }
  const plugin = await BACKEND_PLUGINS.load(m.backend);
  // The parent chose (and device-checked) the plan: the children use it as given.
  await plugin.init({ threads: m.threads, ...(m.plan ? { plan: m.plan, forcePlan: true } : {}) } as Parameters<typeof plugin.init>[0]);
  send({ type: 'ready', backend: plugin.id });
}

async function train(job: Extract<ParentMessage, { type: 'job' }>['job']): Promise<void> {
  try {
    const result = await trainCandidate(job, {
      worker: name,
      cancelled: () => cancelled === job.id,
      onEpoch: (epoch, valAccuracy) => send({ type: 'progress', jobId: job.id, epoch, ...(valAccuracy !== undefined ? { valAccuracy } : {}) }),
    });
    send({ type: 'done', jobId: job.id, result });
  } catch (e) {
    if (cancelled === job.id) send({ type: 'cancelled', jobId: job.id });
    else send({ type: 'failed', jobId: job.id, error: (e as Error).message, ...codeOf(e) });
  } finally {
    if (cancelled === job.id) cancelled = undefined;
  }
}

if (!process.send) {
  process.stderr.write('_pool-child: a ProcessPoolQueue child, started by child_process.fork (no IPC channel here)\n');
  process.exit(2);
}
process.on('message', (m: ParentMessage) => {
  if (m.type === 'init') {
    ready = init(m).catch((e: unknown) => {
      // Exit once the message is out (exiting at once could drop it).
      const failed: ChildMessage = { type: 'init-failed', error: (e as Error).message, ...codeOf(e) };
      if (process.connected) process.send!(failed, () => process.exit(1));
      else process.exit(1);
    });
  } else if (m.type === 'job') {
    void ready!.then(() => train(m.job));
  } else if (m.type === 'cancel') {
    cancelled = m.jobId;
  }
});
process.on('disconnect', () => process.exit(0));

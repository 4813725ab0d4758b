import { runWorker as startWorker } from '@fbnet/jointnas';
import { initBackend } from '../backend.ts';
import { makeOutput } from '../output.ts';
import { untilSignal } from '../streams.ts';
import type { WorkerLine } from './worker.ts';

export async function runWorker({ flags: f }: WorkerLine): Promise<number> {
  const out = makeOutput(!!f.json);
  const backend = await initBackend(f.backend ?? 'wasm', { threads: f.threads });
  const w = await startWorker({ connection: f.queue, concurrency: f.concurrency ?? 1, name: f.name });
  out.info(`worker ${w.name} on ${backend.id} waiting for jobs on ${f.queue} (Ctrl-C to stop after the current job)`);
  // A worker's stream ends in an error only when the worker itself fails: that ends the command (exit 1).
  const failed = new Promise<never>((_, reject) =>
    w.events$.subscribe({
      next: (e) => {
        if (e.type === 'worker/job-completed') {
          out.info(`${e.jobId}: accuracy ${(e.accuracy * 100).toFixed(2)}% in ${e.seconds.toFixed(1)} s${e.cached ? ' (already stored)' : ''}`);
        }
        if (e.type === 'worker/job-failed') out.info(`${e.jobId}: failed: ${e.error}`);
      },
      error: reject,
    }),
  );
  try {
    await Promise.race([untilSignal(), failed]);
  } finally {
    await w.close();
  }
  out.result({ worker: w.name, stopped: true });
  return 0;
}

// A worker in its own process, for the queue tests (a child we can SIGKILL mid-job).
// Env: REDIS_URL, QUEUE, WORKER_NAME, LOCK_MS, STALLED_MS. Prints one JSON event per line.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { runWorker } from './worker.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');
const handle = await runWorker({
  connection: process.env.REDIS_URL!,
  queueName: process.env.QUEUE,
  name: process.env.WORKER_NAME,
  lockDurationMs: Number(process.env.LOCK_MS ?? 3000),
  stalledIntervalMs: Number(process.env.STALLED_MS ?? 1000),
});
handle.events$.subscribe({
  next: (e) => process.stdout.write(JSON.stringify(e) + '\n'),
  // A failed worker ends the child with a message, not an uncaught rethrow from inside rxjs.
  error: (e: unknown) => {
    process.stderr.write(`worker failed: ${(e as Error).message}\n`);
    process.exit(1);
  },
});
process.stdout.write(JSON.stringify({ type: 'child/ready', worker: handle.name }) + '\n');
process.on('SIGTERM', () => void handle.close().then(() => process.exit(0)));

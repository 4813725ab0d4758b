import { parseArgs } from 'node:util';
import { runWorker } from '@fbnet/jointnas';
import { initBackend } from '../backend.ts';
import { usageError, type Command } from '../command.ts';
import { makeOutput } from '../output.ts';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'train V3 candidates from a Redis/BullMQ queue (run on any number of machines; a killed worker\'s job is retried elsewhere)',
  usage: 'fbnet worker --queue redis://host:port [--backend ID] [--threads N] [--concurrency 1] [--name NAME]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { queue: { type: 'string' }, backend: { type: 'string', default: 'wasm' }, threads: { type: 'string' }, concurrency: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } },
    });
    if (!values.queue) throw usageError(this.usage, 'worker needs --queue redis://host:port');
    const out = makeOutput(!!values.json);
    const backend = await initBackend(values.backend!, { threads: values.threads ? Number(values.threads) : undefined });
    const w = await runWorker({ connection: values.queue, concurrency: values.concurrency ? Number(values.concurrency) : 1, name: values.name });
    out.info(`worker ${w.name} on ${backend.id} waiting for jobs on ${values.queue} (Ctrl-C to stop after the current job)`);
    w.events$.subscribe((e) => {
      if (e.type === 'worker/job-completed') out.info(`${e.jobId}: accuracy ${(e.accuracy * 100).toFixed(2)}% in ${e.seconds.toFixed(1)} s${e.cached ? ' (already stored)' : ''}`);
      if (e.type === 'worker/job-failed') out.info(`${e.jobId}: failed: ${e.error}`);
    });
    await new Promise<void>((res) => {
      process.once('SIGINT', () => res());
      process.once('SIGTERM', () => res());
    });
    await w.close();
    out.result({ worker: w.name, stopped: true });
    return 0;
  },
};

import { defineCommand } from '../command.ts';
import { flag, JSON_FLAG, parseCommandLine, type CommandLine } from '../flags.ts';
import { BACKEND_FLAG } from './backends.ts';

export const WORKER_GRAMMAR = {
  flags: {
    ...JSON_FLAG,
    queue: flag.redisUrl().required(),
    backend: BACKEND_FLAG,
    threads: flag.positiveInt(),
    concurrency: flag.positiveInt(),
    name: flag.text('a name'),
  },
  args: [],
};
export type WorkerLine = CommandLine<typeof WORKER_GRAMMAR.flags>;

export const workerCommand = defineCommand({
  name: 'worker',
  summary:
    'train V3 candidates from a Redis/BullMQ queue (run on any number of machines; ' +
    "a killed worker's job is retried elsewhere)",
  usage: 'fbnet worker --queue redis://host:port [--backend ID] [--threads N] [--concurrency 1] [--name NAME] [--json]',
  parse: (argv) => parseCommandLine(argv, WORKER_GRAMMAR),
  load: async () => (await import('./run-worker.ts')).runWorker,
});

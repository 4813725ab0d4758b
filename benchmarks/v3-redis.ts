/**
 * The coarse stage through Redis: same results as in process, and throughput with 1 and 2
 * workers (child processes running runWorker). Starts a private redis-server on a free port.
 * Run: npx tsx benchmarks/v3-redis.ts   → benchmarks/results/v3-redis.json
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { BullmqQueue, CoarseSearch, InProcessQueue, type CoarseSearchOptions, type EvaluationQueue } from '@fbnet/autotrain';
import { writeJsonAtomic } from '@fbnet/runs';
import { initBackend, machine, space } from './v3-common.ts';

const bin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
if (!bin) {
  console.error('redis-server not found: install it (apt-get install redis-server)');
  process.exit(2);
}
const port: number = await new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const a = s.address() as { port: number };
    s.close(() => res(a.port));
  });
});
const redis = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', mkdtempSync(`${tmpdir()}/v3-redis-`), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
await new Promise((r) => setTimeout(r, 500));
const backend = await initBackend();

const options = (queue: EvaluationQueue): CoarseSearchOptions => ({
  space,
  data: { source: 'fashion-mnist', trainImages: 1000, valImages: 300, seed: 0 },
  seed: 3,
  queue,
  proxy: { samples: 300, epochs: 20 },
  fit: { frozenEpochs: 20, fineTuneEpochs: 20 },
  earlyStop: { candidates: 4, budget: 2 },
  iterations: 1,
  perIteration: 4,
  poolSize: 50,
});

async function coarse(queue: EvaluationQueue) {
  const t = Date.now();
  let trainSec = 0;
  const s = new CoarseSearch(options(queue));
  let first = 0, last = 0;
  s.events$.subscribe((e) => {
    if (e.type === 'queue/job-submitted' && !first) first = Date.now();
    if (e.type === 'queue/job-completed') last = Date.now();
    if (e.type === 'autotrain/candidate-evaluated') trainSec += e.seconds;
  });
  const r = (await s.run())!;
  s.dispose();
  return { samples: r.samples.map((x) => ({ id: x.id, accuracy: x.accuracy, curve: x.curve, worker: x.worker })), seconds: (Date.now() - t) / 1000, trainSeconds: trainSec };
}

function workers(n: number, queueName: string) {
  const procs = Array.from({ length: n }, (_, i) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'benchmarks/v3-worker-child.ts'], { env: { ...process.env, REDIS_URL: url, QUEUE: queueName, WORKER_NAME: `w${i + 1}` }, stdio: ['ignore', 'pipe', 'inherit'] });
    const ready = new Promise<void>((res) => createInterface({ input: p.stdout! }).on('line', (l) => l.includes('child/ready') && res()));
    return { p, ready };
  });
  return { ready: Promise.all(procs.map((x) => x.ready)), stop: () => procs.forEach((x) => x.p.kill('SIGTERM')) };
}

const inProcess = await coarse(new InProcessQueue());
const runs: Record<string, Awaited<ReturnType<typeof coarse>>> = {};
for (const n of [1, 2]) {
  const name = `bench-${n}w`;
  const w = workers(n, name);
  await w.ready;
  const q = new BullmqQueue({ connection: url, queueName: name, pollMs: 200 });
  runs[`${n}`] = await coarse(q);
  await q.close();
  w.stop();
}
const same = (a: typeof inProcess, b: typeof inProcess) => JSON.stringify(a.samples.map((s) => [s.id, s.accuracy, s.curve])) === JSON.stringify(b.samples.map((s) => [s.id, s.accuracy, s.curve]));
const jobs = inProcess.samples.length;
const result = {
  benchmark: 'v3-redis',
  date: new Date().toISOString(),
  machine: machine(),
  backend: backend.id,
  setup: { ...options(new InProcessQueue()), queue: undefined, jobs },
  sameResultsAsInProcess: { oneWorker: same(inProcess, runs['1']), twoWorkers: same(inProcess, runs['2']) },
  throughputJobsPerMin: {
    inProcess: (60 * jobs) / inProcess.seconds,
    oneWorker: (60 * jobs) / runs['1'].seconds,
    twoWorkers: (60 * jobs) / runs['2'].seconds,
  },
  seconds: { inProcess: inProcess.seconds, oneWorker: runs['1'].seconds, twoWorkers: runs['2'].seconds },
  workersUsed: { oneWorker: [...new Set(runs['1'].samples.map((s) => s.worker))], twoWorkers: [...new Set(runs['2'].samples.map((s) => s.worker))] },
  samples: { inProcess: inProcess.samples, twoWorkers: runs['2'].samples },
};
writeJsonAtomic('benchmarks/results/v3-redis.json', result);
console.log(JSON.stringify({ same: result.sameResultsAsInProcess, throughput: result.throughputJobsPerMin, seconds: result.seconds, workers: result.workersUsed }, null, 1));
redis.kill('SIGKILL');
process.exit(0);

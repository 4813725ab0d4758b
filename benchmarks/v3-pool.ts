/**
 * Candidate-training throughput on this machine: InProcessQueue (one process, the backend with 2 threads) against
 * ProcessPoolQueue (2 child processes, 1 thread each), on the same 8 candidate jobs of the `fbnet-v3-fmnist` space
 * (Fashion-MNIST, 3000 train / 1000 val images, 2-epoch budget, wasm). Jobs/min counts from the submit to the last
 * result, so the pool's child start-up (backend init in each child) is included. The two runs are sequential; the
 * load average before each is recorded (on a shared machine the figures are indicative only).
 * Run: npx tsx --conditions=source benchmarks/v3-pool.ts   → benchmarks/results/v3-pool.json
 * Env: V3_BACKEND (default wasm), V3_POOL_JOBS (default 8), V3_POOL_ORDER=pool-first to run the pool first,
 * V3_POOL_OUT (another results path).
 */
import { loadavg } from 'node:os';
import { lastValueFrom, tap, toArray } from 'rxjs';
import {
  getJointSpacePreset, InProcessQueue, jointDimensions, makeCandidateJob, pointFromUnit, ProcessPoolQueue, sobolPoints,
  type CandidateEvent, type CandidateJob, type CandidateResult, type DataSpec, type EvaluationQueue,
} from '@fbnet/autotrain';
import { writeJsonAtomic } from '@fbnet/runs';
import { initBackend, machine } from './v3-common.ts';

const backendId = process.env.V3_BACKEND ?? 'wasm';
const n = Number(process.env.V3_POOL_JOBS ?? 8);
const space = getJointSpacePreset('fbnet-v3-fmnist');
const data: DataSpec = { source: 'fashion-mnist', trainImages: 3000, valImages: 1000, seed: 0 };
const BUDGET = 2;
const jobs: CandidateJob[] = sobolPoints(n, jointDimensions(space).length, { shiftSeed: 11 }).map((u) =>
  makeCandidateJob(space, pointFromUnit(space, u), { budget: BUDGET, seed: 0, data }),
);

async function run(label: string, queue: EvaluationQueue) {
  const load = loadavg();
  const t0 = Date.now();
  let firstStarted = NaN;
  const events: CandidateEvent[] = await lastValueFrom(
    queue.submit(jobs).pipe(tap((e) => e.type === 'queue/job-started' && Number.isNaN(firstStarted) && (firstStarted = (Date.now() - t0) / 1000)), toArray()),
  );
  const seconds = (Date.now() - t0) / 1000;
  await queue.close?.();
  const results = events.flatMap((e) => (e.type === 'queue/job-completed' ? [e.result] : []));
  const failed = events.flatMap((e) => (e.type === 'queue/job-failed' ? [{ id: e.jobId, error: e.error }] : []));
  const out = {
    label,
    loadavgBefore: load,
    seconds,
    /** From the submit to the first job's start (the pool's children initialising their backends). */
    secondsToFirstStart: firstStarted,
    jobsPerMin: (60 * results.length) / seconds,
    // Summed over jobs: wall time each job took in its process, and its training throughput.
    jobSeconds: results.reduce((s, r) => s + r.seconds, 0),
    meanImagesPerSec: results.reduce((s, r) => s + r.imagesPerSec, 0) / Math.max(results.length, 1),
    workers: [...new Set(results.map((r) => r.worker))],
    failed,
    results: results.map((r: CandidateResult) => ({ id: r.id, accuracy: r.accuracy, curve: r.curve, seconds: r.seconds, worker: r.worker })),
  };
  console.error(`${label}: ${results.length} jobs in ${seconds.toFixed(1)} s = ${out.jobsPerMin.toFixed(2)} jobs/min (load before ${load.map((x) => x.toFixed(2)).join(' ')})`);
  return out;
}

const plugin = await initBackend(backendId, 2);
const inProcess = () => run('in-process, threads 2', new InProcessQueue());
const pool = () => run('processes, workers 2 × threads 1', new ProcessPoolQueue({ workers: 2, backend: backendId, threads: 1 }));
const poolFirst = process.env.V3_POOL_ORDER === 'pool-first';
const a = poolFirst ? await pool() : await inProcess();
const b = poolFirst ? await inProcess() : await pool();
const [ip, pp] = poolFirst ? [b, a] : [a, b];
const byId = new Map(ip.results.map((r) => [r.id, r]));
const maxAccuracyDiff = Math.max(0, ...pp.results.map((r) => Math.abs(r.accuracy - (byId.get(r.id)?.accuracy ?? NaN))));
const result = {
  benchmark: 'v3-pool',
  date: new Date().toISOString(),
  machine: machine(),
  note: 'indicative: a shared 2-core VM (other agents\' jobs ran alongside); see loadavgBefore of each run',
  backend: `${plugin.id} (${plugin.version()})`,
  setup: { space: space.name, jobs: jobs.length, budget: BUDGET, data, order: poolFirst ? 'pool first' : 'in-process first' },
  jobsPerMin: { inProcessThreads2: ip.jobsPerMin, processesWorkers2Threads1: pp.jobsPerMin },
  speedup: pp.jobsPerMin / ip.jobsPerMin,
  // The thread count differs between the two runs (2 vs 1), so results may differ in the last bits (reduction order).
  maxAccuracyDiff,
  runs: { inProcess: ip, processes: pp },
};
writeJsonAtomic(process.env.V3_POOL_OUT ?? 'benchmarks/results/v3-pool.json', result);
console.log(JSON.stringify({ jobsPerMin: result.jobsPerMin, speedup: result.speedup, maxAccuracyDiff, seconds: { inProcess: ip.seconds, processes: pp.seconds } }, null, 1));
process.exit(0);

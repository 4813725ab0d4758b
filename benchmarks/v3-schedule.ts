/**
 * Which short training ranks candidates like their full schedule: the recipe's schedule cut
 * after b epochs (truncated, what the early-stopping rule and the coarse stage use) or the whole
 * schedule squeezed into b epochs (compressed: the recipe with `epochs = b`)?
 * N QMC candidates of fbnet-v3-fmnist (FLOPs ≤ 1 M), 3,000/1,000 images, seed 0: each trained on
 * its full schedule (4–10 epochs, accuracy after every epoch), and compressed to 2 and 4 epochs;
 * Kendall τ of each short accuracy against the full-schedule one.
 * Run: npx tsx --conditions=source benchmarks/v3-schedule.ts [N=16]  → benchmarks/results/v3-schedule.json
 */
import { lastValueFrom, toArray } from 'rxjs';
import { accuracyAtBudget, jointArch, jointDimensions, makeCandidateJob, pointFromUnit, Sobol, type CandidateEvent, type CandidateJob, type DataSpec } from '@fbnet/autotrain';
import { kendallTauB } from '@fbnet/core';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { cachedQueue, initBackend, machine, space } from './v3-common.ts';

const N = Number(process.argv[2] ?? 16);
const DATA: DataSpec = { source: 'fashion-mnist', trainImages: 3000, valImages: 1000, seed: 0 };
const backend = await initBackend(process.env.V3_BACKEND ?? 'wasm', Number(process.env.V3_THREADS ?? 1));
const sobol = new Sobol(jointDimensions(space).length, { shiftSeed: 11, index: 1 });
const points = [];
while (points.length < N) {
  const p = pointFromUnit(space, sobol.next());
  if (archCost(jointArch(space, p)).flops <= 1e6) points.push(p);
}
const queue = cachedQueue('schedule');
const run = async (jobs: CandidateJob[]) => {
  const ev: CandidateEvent[] = await lastValueFrom(queue.submit(jobs).pipe(toArray()));
  const byId = new Map(ev.flatMap((e) => (e.type === 'queue/job-completed' ? [[e.jobId, e.result] as const] : [])));
  return jobs.map((j) => byId.get(j.id)!);
};
const full = await run(points.map((p) => makeCandidateJob(space, p, { seed: 0, data: DATA })));
const final = full.map((r) => r.accuracy);
const trainable = final.map((a) => a >= 0.6);
const rows: Record<string, number[]> = {};
for (const b of [2, 4]) {
  rows[`truncated${b}`] = full.map((r) => accuracyAtBudget(r.curve, b));
  rows[`compressed${b}`] = (await run(points.map((p) => makeCandidateJob(space, { ...p, 'recipe.epochs': b }, { seed: 0, data: DATA })))).map((r) => r.accuracy);
}
const tau = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { all: kendallTauB(v, final), trainable: kendallTauB(v.filter((_, i) => trainable[i]), final.filter((_, i) => trainable[i])) }]));
writeJsonAtomic('benchmarks/results/v3-schedule.json', {
  benchmark: 'v3-schedule', date: new Date().toISOString(), machine: machine(), backend: backend.id,
  task: { space: space.name, data: DATA, candidates: N, seed: 0, trainable: trainable.filter(Boolean).length },
  kendallTauAgainstFullSchedule: tau,
  candidates: points.map((p, i) => ({ epochs: p['recipe.epochs'], full: final[i], ...Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v[i]])) })),
});
console.log(JSON.stringify(tau, null, 1));

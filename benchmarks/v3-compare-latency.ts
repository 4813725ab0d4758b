/**
 * Batch-1 latency of the winners in v3-compare result files, measured together on this backend:
 * every winner once per round, ROUNDS rounds interleaved (drift hits all alike), median per net.
 * Writes `latencyMs` and `latencySamples` into each file's `random` and `v3` entries and
 * `v3MinusRandom.latencyMs`. Run on an idle machine, after the searches:
 *   npx tsx --conditions=source benchmarks/v3-compare-latency.ts [files…]   (default: every v3-compare-seed*.json)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { jointArch, type JointPoint } from '@fbnet/autotrain';
import { measureNet, resolveTiming } from '@fbnet/latency-lut';
import { writeJsonAtomic } from '@fbnet/runs';
import { initBackend, machine, space } from './v3-common.ts';

const ROUNDS = 7;
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync('benchmarks/results').filter((f) => /^v3-compare-seed\d+\.json$/.test(f)).map((f) => `benchmarks/results/${f}`);
type Entry = { point: JointPoint; latencyMs?: number; latencySamples?: number[] };
const docs = files.map((f) => ({ f, d: JSON.parse(readFileSync(f, 'utf8')) as { backend: string; random: Entry; v3: Entry; v3MinusRandom: Record<string, number>; latencyMeasured?: unknown } }));
const backendId = docs[0]?.d.backend ?? 'wasm';
if (docs.some((x) => x.d.backend !== backendId)) throw new Error('v3-compare-latency: the files were searched on different backends');
await initBackend(backendId, Number(process.env.V3_THREADS ?? 2));
const entries = docs.flatMap(({ d }) => [d.random, d.v3]);
const samples = entries.map(() => [] as number[]);
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < entries.length; i++) samples[i].push((await measureNet({ ...jointArch(space, entries[i].point), name: `winner-${i}` }, resolveTiming({ timeMs: 300, minSamples: 20 }), { seed: 0 })).medianMs);
  console.error(`round ${r + 1}/${ROUNDS}`);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
entries.forEach((e, i) => {
  e.latencySamples = samples[i];
  e.latencyMs = median(samples[i]);
});
for (const { f, d } of docs) {
  d.v3MinusRandom.latencyMs = d.v3.latencyMs! - d.random.latencyMs!;
  d.latencyMeasured = { date: new Date().toISOString(), machine: machine(), rounds: ROUNDS, note: 'all winners of the listed files, interleaved; median over rounds' };
  writeJsonAtomic(f, d);
  console.log(f, 'random', d.random.latencyMs!.toFixed(3), 'ms; v3', d.v3.latencyMs!.toFixed(3), 'ms');
}

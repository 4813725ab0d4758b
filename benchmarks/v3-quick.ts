/**
 * `searchV3` with the quick preset on the bundled subset, as `fbnet search v3 --preset quick`
 * will run it: wall time per phase and the result. Writes benchmarks/results/v3-quick.json.
 * Run: npx tsx --conditions=source benchmarks/v3-quick.ts [runDir=tmp/v3-bench/run-quick]   (resumes an existing run; wasm, 2 threads: V3_BACKEND, V3_THREADS)
 */
import { existsSync } from 'node:fs';
import { SEARCH_V3_PRESETS, searchV3 } from '@fbnet/jointnas';
import { RunDir, writeJsonAtomic } from '@fbnet/runs';
import { initBackend, machine } from './v3-common.ts';

const dir = process.argv[2] ?? 'tmp/v3-bench/run-quick';
const run = existsSync(`${dir}/config.json`) ? RunDir.open(dir) : RunDir.create(dir, { command: 'search v3', seed: 0, options: { preset: 'quick' } });
const backend = await initBackend(process.env.V3_BACKEND ?? 'wasm', Number(process.env.V3_THREADS ?? 2));
const result = await searchV3(run, { backend, log: (e) => run.appendEvent(e), info: (l) => console.log(l) }, { preset: SEARCH_V3_PRESETS.quick, presetName: 'quick' });
writeJsonAtomic('benchmarks/results/v3-quick.json', { benchmark: 'v3-quick', date: new Date().toISOString(), machine: machine(), result });

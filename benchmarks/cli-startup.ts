/**
 * CLI start-up: wall time of the built `fbnet --help`, `fbnet cost <arch>` and a usage error, beside `node -e 0` and
 * `fbnet --help` from the sources (tsx) in the same run (alternating, every command once per round), medians and
 * spread. The load average before and after goes into the result: a busy machine slows every row.
 *
 *   npm run build && npx tsx --conditions=source benchmarks/cli-startup.ts [--rounds 7] [--note "…"]
 *     → benchmarks/results/cli-startup-<host>.json
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileSlug } from '@fbnet/core';
import { writeJsonAtomic } from '@fbnet/runs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, note: { type: 'string' } } });
const bin = 'packages/cli/bin/fbnet.js';
if (!existsSync('packages/cli/dist/main.js')) throw new Error('no build: run `npm run build` first');
// FBNET_SOURCE=0: the build even if a source changed since (this times the build); =1: the sources through tsx.
const built = { ...process.env, NODE_OPTIONS: '', FBNET_SOURCE: '0' };
const source = { ...process.env, NODE_OPTIONS: '', FBNET_SOURCE: '1' };
const commands: Record<string, { args: string[]; env: NodeJS.ProcessEnv }> = {
  'node -e 0': { args: ['-e', '0'], env: built },
  'fbnet --help': { args: [bin, '--help'], env: built },
  'fbnet cost (FBNetV3-A)': { args: [bin, 'cost', 'packages/shape-propagation/fixtures/fbnetv3_a.json', '--json'], env: built },
  'fbnet search v1 --seed 1.5 (usage error)': { args: [bin, 'search', 'v1', '--seed', '1.5'], env: built },
  'fbnet --help (sources through tsx)': { args: [bin, '--help'], env: source },
};
const ms: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
const loadBefore = loadavg();
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, { args, env }] of Object.entries(commands)) {
    const t = performance.now();
    spawnSync(process.execPath, args, { stdio: 'ignore', env });
    ms[name].push(performance.now() - t);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const round = (x: number) => Math.round(x * 10) / 10;
const out = {
  kind: 'fbnet-cli-startup',
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  rounds: Number(values.rounds),
  loadAverage1m: { before: round(loadBefore[0]), after: round(loadavg()[0]) },
  ...(values.note ? { note: values.note } : {}),
  unit: 'wall ms per command, alternating within each round; median, min, max',
  commands: Object.fromEntries(
    Object.entries(ms).map(([k, v]) => [k, { medianMs: round(median(v)), minMs: round(Math.min(...v)), maxMs: round(Math.max(...v)) }]),
  ),
};
const path = `benchmarks/results/cli-startup-${fileSlug(hostname())}.json`;
writeJsonAtomic(path, out);
console.log(JSON.stringify(out, null, 1));

/**
 * CLI start-up: wall time of `fbnet --help`, `fbnet cost <arch>` and a usage error, beside
 * `node -e 0` in the same run (alternating, every command once per round), medians and spread.
 *
 *   npx tsx benchmarks/cli-startup.ts [--rounds 7]    → benchmarks/results/cli-startup-<host>.json
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { fileSlug } from '@fbnet/core';
import { writeJsonAtomic } from '@fbnet/runs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const bin = 'packages/cli/bin/fbnet.js';
const commands: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'fbnet --help': [bin, '--help'],
  'fbnet cost (FBNetV3-A)': [bin, 'cost', 'packages/shape-propagation/fixtures/fbnetv3_a.json', '--json'],
  'fbnet search v1 --seed 1.5 (usage error)': [bin, 'search', 'v1', '--seed', '1.5'],
};
const ms: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, args] of Object.entries(commands)) {
    const t = performance.now();
    spawnSync(process.execPath, args, { stdio: 'ignore' });
    ms[name].push(performance.now() - t);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const out = {
  kind: 'fbnet-cli-startup',
  date: new Date().toISOString(),
  node: process.version,
  rounds: Number(values.rounds),
  note: 'wall ms per command, alternating within each round; median, min, max',
  commands: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, { medianMs: median(v), minMs: Math.min(...v), maxMs: Math.max(...v) }])),
};
const path = `benchmarks/results/cli-startup-${fileSlug(hostname())}.json`;
writeJsonAtomic(path, out);
console.log(JSON.stringify(out.commands, null, 1));

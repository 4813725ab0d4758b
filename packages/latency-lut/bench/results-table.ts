/**
 * Print the markdown table of docs/latency-lut.md from benchmarks/results/lut-*.json:
 *   npx tsx packages/latency-lut/bench/results-table.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(import.meta.dirname, '../../../benchmarks/results');
const f = (x: { mape: number; within10: number; kendallTau: number }) => `${x.mape.toFixed(1)}% · ${(100 * x.within10).toFixed(0)}% · ${x.kendallTau.toFixed(2)}`;
const rows = ['| space · backend | archs (calibration) | plain: MAPE · ±10% · τ | corrected: MAPE · ±10% · τ (model) | table measured in | load avg (start → end) |', '|---|---|---|---|---|---|'];
for (const file of readdirSync(dir).filter((x) => /^lut-.*\.json$/.test(x) && !x.startsWith('lut-drift-free-')).sort()) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  rows.push(
    `| ${r.space} · ${r.backend} | ${r.samples} (${r.calibrationSamples}) | ${f(r.plain)} | ${r.corrected ? `${f(r.corrected)} (${r.correction.model})` : '—'} | ${r.lut.measureSec.toFixed(0)} s, ${r.lut.entries} entries | ${r.machine.loadavgStart[0]} → ${r.machine.loadavgEnd[0]} |`,
  );
}
rows.push('', '| drift-free check · backend | archs | Σ ms: MAPE · ±10% · τ | seconds | load avg |', '|---|---|---|---|---|');
for (const file of readdirSync(dir).filter((x) => x.startsWith('lut-drift-free-')).sort()) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  rows.push(`| ${r.space} · ${r.backend} | ${r.samples} | ${f(r)} | ${r.seconds.toFixed(0)} | ${r.loadavg.start[0]} → ${r.loadavg.end[0]} |`);
}
process.stdout.write(rows.join('\n') + '\n');

/**
 * What a plan tuned on first use buys: the reference net's training throughput (batch 64) and
 * batch-1 inference on one plugin with no plan, with the plan `autotunePlan` tunes now (as a
 * fresh machine gets on first use), and with the committed plan of this device when there is one —
 * alternating in one process, `--repeats` rounds, medians and ranges. Also how long tuning took.
 * Run with nothing else on the machine:
 *   node --import ./packages/bench/node/register.mjs --import tsx benchmarks/autotune-gain.ts [--backend wasm] [--repeats 3]
 * Writes benchmarks/results/autotune-gain-<device>.json.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autotunePlan, benchInfer, benchTrain, REFERENCE_NET, setupPlugin } from '@fbnet/bench';
import { deviceFingerprint, loadDevicePlan, deviceSlug } from '@fbnet/backend-common';
import type { KernelPlan } from '@fbnet/core';
import { writeJsonAtomic } from '@fbnet/runs';

const args = process.argv.slice(2);
const arg = (k: string, d: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const backend = arg('--backend', 'wasm');
const repeats = Number(arg('--repeats', '3'));
process.env.FBNET_PLANS_DIR = mkdtempSync(join(tmpdir(), 'fbnet-tuned-'));

const { plugin } = await setupPlugin({ backend });
const { planHash: _h, ...device } = await deviceFingerprint(plugin);
const t0 = Date.now();
const tuned = await autotunePlan(plugin, device, { onProgress: (d, n) => d % 50 === 0 && console.error(`tuning: ${d}/${n}`) });
const tuneSec = (Date.now() - t0) / 1000;
const committed = await loadDevicePlan(device);
const configs: [string, KernelPlan | undefined][] = [['none', undefined], ['tuned', tuned.plan], ...(committed ? ([['committed', committed]] as [string, KernelPlan][]) : [])];

const rows: { config: string; round: number; trainImgPerSec: number; inferMs: number }[] = [];
for (let r = 0; r < repeats; r++) {
  // Alternate the order each round so drift does not favour one configuration.
  const order = r % 2 === 0 ? configs : [...configs].reverse();
  for (const [config, plan] of order) {
    const t = await benchTrain({ archPath: REFERENCE_NET, backend, plan, batch: 64, steps: 30, warmup: 5 });
    const i = await benchInfer({ archPath: REFERENCE_NET, backend, plan, batch: 1, iterations: 200 });
    rows.push({ config, round: r + 1, trainImgPerSec: t.imagesPerSecMedian, inferMs: i.latencyMs });
    console.error(`${config} round ${r + 1}: train ${t.imagesPerSecMedian.toFixed(0)} img/s, infer ${i.latencyMs.toFixed(3)} ms`);
  }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const summary = Object.fromEntries(
  configs.map(([c]) => {
    const mine = rows.filter((x) => x.config === c);
    const tr = mine.map((x) => x.trainImgPerSec), inf = mine.map((x) => x.inferMs);
    return [c, { trainImgPerSec: { median: med(tr), min: Math.min(...tr), max: Math.max(...tr) }, inferMs: { median: med(inf), min: Math.min(...inf), max: Math.max(...inf) } }];
  }),
);
const out = {
  kind: 'autotune-gain',
  backend,
  device,
  measuredAt: new Date().toISOString(),
  machine: 'measured with nothing else running',
  tuning: { seconds: tuneSec, entries: tuned.plan.entries.length, net: 'fbnet-bench-28, train batch 64 + infer batch 1' },
  repeats,
  summary,
  ratios: {
    tunedVsNoneTrain: summary.tuned.trainImgPerSec.median / summary.none.trainImgPerSec.median,
    tunedVsNoneInfer: summary.none.inferMs.median / summary.tuned.inferMs.median,
    ...(summary.committed ? { tunedVsCommittedTrain: summary.tuned.trainImgPerSec.median / summary.committed.trainImgPerSec.median } : {}),
  },
  rows,
};
const file = `benchmarks/results/autotune-gain-${deviceSlug(device)}-${backend}.json`;
writeJsonAtomic(file, out);
console.log(JSON.stringify({ file, tuning: out.tuning, ratios: out.ratios, summary }, null, 1));

/**
 * `npm run bench` of a backend plugin package: kernel plan for the reference net at batch 64,
 * then training throughput and batch-1 latency with that plan; results to
 * benchmarks/results/<device>.json. Usage (from the repo root or a package folder):
 *   node --import ./packages/bench/node/register.mjs --import tsx packages/bench/src/cli/bench-plugin.ts <plugin> [arch.json] [batch]
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { safeAvailability } from '@fbnet/core';
import { benchInfer, benchKernels, benchTrain, resolvePlugin, writeDeviceResult } from '../index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
process.chdir(root);
const id = process.argv[2] ?? 'cpu';
const archPath = process.argv[3] ?? 'benchmarks/nets/fbnet-bench-28.json';
const batch = Number(process.argv[4] ?? 64);

const plugin = await resolvePlugin(id);
const a = await safeAvailability(plugin);
if (!a.available) {
  console.log(JSON.stringify({ plugin: id, available: false, reason: a.reason }));
  process.exit(0);
}
const kernels = await benchKernels({ arch: archPath, backend: plugin, batch, forwardBatch: 1, timeMs: 100, onResult: (t, i, n) => process.stderr.write(`\r${id} kernels ${i + 1}/${n}`) });
process.stderr.write('\n');
const train = await benchTrain({ archPath, backend: plugin, batch, steps: 15, plan: kernels.plan });
const infer = await benchInfer({ archPath, backend: plugin, plan: kernels.plan });
const file = await writeDeviceResult(train.fingerprint, `${id}/train`, train);
await writeDeviceResult(infer.fingerprint, `${id}/infer`, infer);
console.log(JSON.stringify({ plugin: id, detail: a.detail, planPath: kernels.planPath, resultsPath: file, imagesPerSec: train.imagesPerSec, latencyMs: infer.latencyMs, p10: infer.p10, p90: infer.p90 }, null, 2));
await plugin.dispose?.();

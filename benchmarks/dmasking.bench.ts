/**
 * FBNetV2 DMasking cost benchmark: step time and peak TF.js memory of the masked supernet with
 * 8 width options per layer vs 1, the naive one-block-per-option supernet, and resolution search
 * with 4 input resolutions vs 1. Writes benchmarks/results/dmasking-<host>.json.
 *   npx tsx benchmarks/dmasking.bench.ts [wasm|cpu|tfjs-cpu] [--batch N] [--rounds N]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { benchDmasking, writeBenchDmasking } from '@fbnet/dmasking';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { batch: { type: 'string' }, rounds: { type: 'string' } } });
const backend = positionals[0] ?? 'wasm';
tf.env().set('PROD', true);
if (backend === 'wasm') await (await import('@fbnet/backend-wasm')).createWasmPlugin().init({});
else if (backend === 'cpu') await (await import('@fbnet/backend-cpu')).createCpuPlugin().init({});
else {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
}
const result = await benchDmasking({ batch: Number(values.batch ?? 32), rounds: Number(values.rounds ?? 15) });
const path = writeBenchDmasking(result, fileURLToPath(new URL('./results/', import.meta.url)));
console.log(JSON.stringify({ ...result, configs: undefined }, null, 2));
console.table(Object.fromEntries(Object.entries(result.configs).map(([k, v]) => [k, { stepMs: v.stepMs.toFixed(1), medianMs: v.medianStepMs.toFixed(1), stepPeakMB: (v.stepPeakBytes / 2 ** 20).toFixed(2), params: v.params }])));
console.log(`written ${path}`);

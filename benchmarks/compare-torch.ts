/**
 * Whole-net comparison with PyTorch CPU on the same machine in the same run: training
 * images/s at batch 64 and batch-1 latency, per available backend plugin, side by side with
 * the ratio; JSON to benchmarks/results/compare-torch-<device>.json.
 *
 *   node --import ./packages/bench/node/register.mjs --import tsx benchmarks/compare-torch.ts \
 *     [--arch benchmarks/nets/fbnet-bench-28.json] [--backends cpu,wasm,webgpu,node-gpu] \
 *     [--batch 64] [--repeats 2] [--steps 20] [--with-plan] [--pair-torch] [--python /usr/bin/python3]
 *
 * --pair-torch runs PyTorch right before each plugin and reports the median of per-pair
 * ratios: on a machine shared with other work, load drifts between runs.
 */
import { parseArgs } from 'node:util';
import { deviceFingerprint, deviceSlug } from '@fbnet/backend-common';
import { compareWithTorch, formatCompareTable, resolvePlugin } from '@fbnet/bench';
import fs from 'node:fs/promises';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'benchmarks/nets/fbnet-bench-28.json' },
    backends: { type: 'string', default: 'cpu,wasm,webgpu,node-gpu' },
    batch: { type: 'string', default: '64' },
    repeats: { type: 'string', default: '1' },
    steps: { type: 'string', default: '20' },
    'infer-iterations': { type: 'string', default: '200' },
    'with-plan': { type: 'boolean', default: false },
    'pair-torch': { type: 'boolean', default: false },
    'torch-steps': { type: 'string', default: '30' },
    'torch-infer-iterations': { type: 'string', default: '300' },
    python: { type: 'string', default: '/usr/bin/python3' },
    out: { type: 'string' },
  },
});

const report = await compareWithTorch({
  archPath: values.arch!,
  backends: values.backends!.split(',').filter(Boolean),
  batch: Number(values.batch),
  repeats: Number(values.repeats),
  steps: Number(values.steps),
  inferIterations: Number(values['infer-iterations']),
  withPlan: values['with-plan'],
  pairTorch: values['pair-torch'],
  torchSteps: Number(values['torch-steps']),
  torchInferIterations: Number(values['torch-infer-iterations']),
  python: values.python,
  onProgress: (m) => process.stderr.write(`${m}\n`),
});
const fp = await deviceFingerprint(await resolvePlugin('cpu'));
const out = values.out ?? `benchmarks/results/compare-torch-${deviceSlug(fp)}.json`;
await fs.mkdir('benchmarks/results', { recursive: true });
await fs.writeFile(out, `${JSON.stringify({ device: { cpuModel: fp.cpuModel, cores: fp.cores, os: fp.os, runtime: fp.runtime }, ...report }, null, 2)}\n`);
console.log(formatCompareTable(report));
console.log(`\nwritten ${out}`);
// Backend resources (native worker threads, GPU devices) must not keep the process alive.
for (const id of report.rows.filter((r) => r.available).map((r) => r.backend)) await (await resolvePlugin(id)).dispose?.();
process.exit(0);

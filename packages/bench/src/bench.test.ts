import { afterAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { parseKernelPlan } from '@fbnet/backend-common';
import { benchInfer, benchKernels, benchTrain, formatCompareTable, resolvePlugin, writeDeviceResult, type CompareReport } from './index.ts';

// Tiny net: these tests check the plumbing (results, plans, leaks), never timings.
const ARCH = { name: 'tiny', input_size: 8, input_channels: 1, num_classes: 3, blocks: [[['conv_k3', 4, 2, 1]], [['ir_k3', 4, 1, 1, { expansion: 2 }]]] };
const dir = path.join(os.tmpdir(), `fbnet-bench-test-${process.pid}`);

describe('@fbnet/bench', () => {
  afterAll(async () => {
    await (await resolvePlugin('cpu')).dispose?.();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('benchTrain runs real training steps and reports img/s without leaking tensors', async () => {
    const r = await benchTrain({ arch: ARCH as never, backend: 'cpu', batch: 4, steps: 3, warmup: 1 });
    expect(r).toMatchObject({ kind: 'train', backend: 'cpu', arch: 'tiny', batch: 4, tensorLeak: 0, plan: 'none' });
    expect(r.imagesPerSec).toBeGreaterThan(0);
    expect(r.steps).toBeGreaterThanOrEqual(3);
    expect(Number.isFinite(r.lossLast)).toBe(true);
    expect(r.variantCalls?.Conv2D).toBeDefined();
  });

  it('benchInfer reports median / p10 / p90 latency at batch 1', async () => {
    const r = await benchInfer({ arch: ARCH as never, backend: 'cpu', iterations: 5, warmup: 1 });
    expect(r).toMatchObject({ kind: 'infer', batch: 1 });
    expect(r.p10).toBeLessThanOrEqual(r.latencyMs);
    expect(r.p90).toBeGreaterThanOrEqual(r.latencyMs);
  });

  it('benchKernels writes a valid plan and the device results file', async () => {
    const out = path.join(dir, 'plan.json');
    const r = await benchKernels({ arch: ARCH as never, backend: 'cpu', batch: 2, timeMs: 1, iterations: 1, warmupIterations: 0, out, resultsDir: dir });
    const plan = parseKernelPlan(await fs.readFile(out, 'utf8'));
    expect(plan.device.backend).toBe('cpu');
    expect(plan.entries.length).toBeGreaterThan(0);
    const results = JSON.parse(await fs.readFile(r.resultsPath!, 'utf8'));
    expect(results.version).toBe(1);
    expect(results.results['cpu/kernels'].timings.length).toBe(r.timings.length);
    // Training with the plan it made.
    const t = await benchTrain({ arch: ARCH as never, backend: 'cpu', batch: 2, steps: 1, warmup: 0, plan: out });
    expect(t.plan).not.toBe('none');
  });

  it('merges results per device and formats the comparison table', async () => {
    const fp = { cpuModel: 'X', cores: 1, os: 'linux', runtime: 'node 20.0.0', backend: 'cpu', backendVersion: '1', planHash: 'none' };
    await writeDeviceResult(fp, 'a/train', { v: 1 }, dir);
    const file = await writeDeviceResult(fp, 'b/infer', { v: 2 }, dir);
    expect(Object.keys(JSON.parse(await fs.readFile(file, 'utf8')).results)).toEqual(['a/train', 'b/infer']);
    const report: CompareReport = {
      arch: 'a.json',
      batch: 64,
      createdAt: '',
      torch: [],
      torchImagesPerSec: 100,
      torchLatencyMs: 2,
      rows: [
        { backend: 'wasm', available: true, imagesPerSec: 250, trainRatio: 2.5, latencyMs: 0.5, latencyRatio: 0.25 },
        { backend: 'node-gpu', available: false, reason: 'not installed' },
      ],
    };
    const table = formatCompareTable(report);
    expect(table).toMatch(/wasm\s+250\.0\s+2\.50\s+0\.500\s+0\.25/);
    expect(table).toMatch(/node-gpu\s+unavailable: not installed/);
  });
});

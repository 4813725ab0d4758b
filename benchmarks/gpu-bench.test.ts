import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain-Node script (no types): it runs without tsx on the GPU machine
import { assembleGpuReport, parseArgs, stepCostFit } from './gpu-bench.mjs';

const SCRIPT = fileURLToPath(new URL('./gpu.sh', import.meta.url));

const train = (batch: number, stepMs: number, extra = {}) => ({
  batch,
  ok: true,
  json: { batch, imagesPerSec: (batch * 1000) / stepMs, imagesPerSecMedian: (batch * 1000) / stepMs, stepMsMedian: stepMs, lossFirst: 2.3, tensorLeak: 0, fingerprint: { backendVersion: 'wg 1' }, ...extra },
});

describe('benchmarks/gpu.sh: the report', () => {
  it('fits the step cost as fixed ms + ms per image', () => {
    expect(stepCostFit([{ batch: 1, stepMs: 11 }, { batch: 64, stepMs: 74 }, { batch: 256, stepMs: 266 }])).toEqual({ fixedMs: expect.closeTo(10, 9), perImageMs: expect.closeTo(1, 9) });
    expect(stepCostFit([{ batch: 64, stepMs: 5 }])).toBeNull();
  });

  it('assembles one JSON: figures, errors in place, ratios and issue 14 targets only where both sides were measured', () => {
    const gpuWork = { steps: 4, perStep: { submits: 80, mapAsyncs: 1, pipelines: 0 } };
    const parts = {
      options: parseArgs(['--batches', '1,64,256,1024', '--steps', '3']),
      adapter: { available: true, description: 'NVIDIA H200' },
      webgpuTrain: [train(1, 170.94, { gpuWork }), train(64, 230.16), train(256, 410.64), { batch: 1024, ok: false, error: 'timed out after 376 s' }],
      webgpuInfer: { ok: true, json: { latencyMs: 2, p10: 1.9, p90: 2.5 } },
      wasmTrain: { ok: true, json: { batch: 64, imagesPerSec: 900, imagesPerSecMedian: 1000, stepMsMedian: 64, lossFirst: 2.3, tensorLeak: 0 } },
      wasmInfer: { ok: false, error: 'wasm failed' },
      torch: { available: true, train: [{ batch: 64, imagesPerSecMedian: 1000 }, { batch: 1024, imagesPerSecMedian: 100000 }], infer: { latencyMs: 1 } },
    };
    const r = assembleGpuReport(parts, { createdAt: 'T', host: { cpu: 'x' } });
    expect(r).toMatchObject({ kind: 'fbnet-gpu-bench', version: 1, createdAt: 'T', arch: 'benchmarks/nets/fbnet-bench-28.json', options: { batches: [1, 64, 256, 1024], steps: 3 } });
    expect(r.webgpu.backendVersion).toBe('wg 1');
    expect(r.webgpu.train[0]).toMatchObject({ batch: 1, gpuWork });
    expect(r.webgpu.train[3]).toEqual({ batch: 1024, error: 'timed out after 376 s' });
    expect(r.webgpu.infer).toEqual({ latencyMs: 2, p10: 1.9, p90: 2.5 });
    expect(r.wasm).toMatchObject({ train: { batch: 64, imagesPerSecMedian: 1000 }, infer: { error: 'wasm failed' } });
    expect(r.webgpu.stepCost.fixedMs).toBeCloseTo(170, 6);
    expect(r.webgpu.stepCost.perImageMs).toBeCloseTo(0.94, 6);
    const t = r.targets;
    expect(t.trainB64VsTorch.value).toBeCloseTo((64000 / 230.16) / 1000, 9);
    expect(t.trainB64VsTorch.met).toBe(true); // 0.278 ≥ 0.2
    expect(t.trainB1024VsTorch).toMatchObject({ value: null, met: null }); // webgpu b1024 failed
    expect(t.inferB1VsTorch).toMatchObject({ value: 2, met: false }); // 2× > 1.5×
    expect(t.trainB256VsWasmB64.value).toBeCloseTo((256000 / 410.64) / 1000, 9);
    expect(t.fixedStepMs).toMatchObject({ met: false, target: '≤ 10' });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain data
  });

  it('names a bad option', () => {
    expect(() => parseArgs(['--batches', '0,64'])).toThrow(/positive integers/);
    expect(() => parseArgs(['--nope'])).toThrow(/unknown option --nope/);
  });
});

describe('benchmarks/gpu.sh --quick (end to end, this machine)', () => {
  it('prints one JSON with every part measured or saying why not', { timeout: 240_000 }, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fbnet-gpu-sh-')), 'gpu.json');
    const r = spawnSync('sh', [SCRIPT, '--quick', '--out', out], { encoding: 'utf8', timeout: 230_000 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(report);
    expect(report.kind).toBe('fbnet-gpu-bench');
    // wasm runs on every machine.
    expect(report.wasm.train.imagesPerSec).toBeGreaterThan(0);
    expect(report.wasm.infer.latencyMs).toBeGreaterThan(0);
    if (report.adapter.available) {
      expect(report.webgpu.train.map((t: { batch: number }) => t.batch)).toEqual([1, 2]);
      for (const t of report.webgpu.train) {
        expect(t.error).toBeUndefined();
        expect(t.tensorLeak).toBe(0);
        expect(t.gpuWork.perStep).toMatchObject({ gpuReads: 1, mapAsyncs: 1, readSyncs: 0, pipelines: 0 });
      }
      expect(report.webgpu.infer.latencyMs).toBeGreaterThan(0);
      expect(report.webgpu.trainReadEvery).toMatchObject({ batch: 2, readEvery: 2, gpuWork: { perStep: { readSyncs: 0 } } });
      // Every other step reads (counted steps include the warm-up ones: about half).
      expect(report.webgpu.trainReadEvery.gpuWork.perStep.gpuReads).toBeGreaterThan(0.3);
      expect(report.webgpu.trainReadEvery.gpuWork.perStep.gpuReads).toBeLessThan(0.7);
    } else expect(report.adapter.reason.length).toBeGreaterThan(0);
    if (!report.torchCuda.available) expect(report.torchCuda.reason.length).toBeGreaterThan(0);
    else expect(report.torchCuda.train.length).toBeGreaterThan(0);
  });
});

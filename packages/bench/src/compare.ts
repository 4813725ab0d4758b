import { safeAvailability } from '@fbnet/core';
import { benchInfer, type BenchInferResult } from './bench-infer.ts';
import { benchKernels } from './bench-kernels.ts';
import { benchTrain, type BenchTrainResult } from './bench-train.ts';
import { resolvePlugin } from './plugins.ts';
import { runTorchYardstick, type TorchResult } from './torch.ts';

export interface CompareOptions {
  archPath: string;
  backends?: string[];
  batch?: number;
  /** Training steps timed per run, for the plugins and (unless `torchSteps`) PyTorch alike. */
  steps?: number;
  inferIterations?: number;
  /** Untimed batch-1 inferences before each timed set (default 400: a fresh process needs ~300 before V8 has optimised the engine's JavaScript). */
  inferWarmup?: number;
  threads?: number;
  python?: string;
  /** Benchmark kernels first and train / infer with the resulting plan. */
  withPlan?: boolean;
  /** Runs of everything (PyTorch included), to report the spread on a noisy machine. */
  repeats?: number;
  /** Run PyTorch right before each plugin and take ratios per pair (robust to drifting load). */
  pairTorch?: boolean;
  torchSteps?: number;
  torchInferIterations?: number;
  onProgress?(message: string): void;
}

export interface CompareRow {
  backend: string;
  available: boolean;
  reason?: string;
  detail?: string;
  train?: BenchTrainResult[];
  infer?: BenchInferResult[];
  /** Medians over repeats (of batch / median step time). */
  imagesPerSec?: number;
  latencyMs?: number;
  /** PyTorch runs paired with this plugin's runs (with `pairTorch`). */
  pairedTorch?: TorchResult[];
  /** tfjs img/s ÷ PyTorch img/s (target ≥ 1); median of per-pair ratios when paired. */
  trainRatio?: number;
  /** tfjs latency ÷ PyTorch latency (target ≤ 0.5). */
  latencyRatio?: number;
  error?: string;
}

export interface CompareReport {
  arch: string;
  batch: number;
  createdAt: string;
  torch: TorchResult[];
  torchImagesPerSec: number;
  torchLatencyMs: number;
  rows: CompareRow[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/**
 * Same net, same batch, same machine, same run: PyTorch CPU (the yardstick, run before and
 * after the TF.js plugins) against every available plugin's training throughput and batch-1
 * latency.
 */
export async function compareWithTorch(o: CompareOptions): Promise<CompareReport> {
  const batch = o.batch ?? 64;
  const repeats = o.repeats ?? 1;
  const backends = o.backends ?? ['cpu', 'wasm', 'webgpu', 'node-gpu'];
  const say = o.onProgress ?? (() => {});
  const torch: TorchResult[] = [];
  const rows: CompareRow[] = [];
  for (const id of backends) {
    const plugin = await resolvePlugin(id).catch((e: Error) => e);
    if (plugin instanceof Error) {
      rows.push({ backend: id, available: false, reason: plugin.message });
      continue;
    }
    const a = await safeAvailability(plugin);
    rows.push(a.available ? { backend: id, available: true, detail: a.detail, train: [], infer: [] } : { backend: id, available: false, reason: a.reason });
  }
  const plans = new Map<string, string>();
  const yardstick = async (label: string) => {
    say(`PyTorch (${label})`);
    const t = await runTorchYardstick({ archPath: o.archPath, batch, threads: o.threads ?? 2, python: o.python, steps: o.torchSteps ?? o.steps, inferIterations: o.torchInferIterations });
    torch.push(t);
    return t;
  };
  for (let r = 0; r < repeats; r++) {
    if (!o.pairTorch) await yardstick(`run ${r + 1}/${repeats}`);
    for (const row of rows.filter((x) => x.available)) {
      try {
        // Paired: PyTorch right before each plugin, so both see the same load on a shared machine.
        if (o.pairTorch) (row.pairedTorch ??= []).push(await yardstick(`before ${row.backend}, run ${r + 1}/${repeats}`));
        if (o.withPlan && !plans.has(row.backend)) {
          say(`${row.backend}: kernel benchmark for a plan`);
          plans.set(row.backend, (await benchKernels({ arch: o.archPath, backend: row.backend, batch, forwardBatch: 1, timeMs: 100 })).planPath);
        }
        // This device's plan (committed, or cached per user), as `fbnet bench train` and every search use it.
        const plan = plans.get(row.backend) ?? 'auto';
        say(`${row.backend}: training (run ${r + 1}/${repeats})`);
        row.train!.push(await benchTrain({ archPath: o.archPath, backend: row.backend, batch, steps: o.steps, plan, threads: o.threads }));
        say(`${row.backend}: batch-1 latency (run ${r + 1}/${repeats})`);
        row.infer!.push(await benchInfer({ archPath: o.archPath, backend: row.backend, iterations: o.inferIterations, warmup: o.inferWarmup ?? 400, plan, threads: o.threads }));
      } catch (e) {
        row.error = (e as Error).message;
      } finally {
        // Release worker threads / devices so nothing of ours runs while the next one is timed.
        await (await resolvePlugin(row.backend)).dispose?.();
      }
    }
  }
  if (!o.pairTorch) await yardstick('closing run');
  const torchImagesPerSec = median(torch.map((t) => t.imagesPerSecMedian ?? t.imagesPerSec));
  const torchLatencyMs = median(torch.map((t) => t.latencyMs));
  for (const row of rows) {
    const paired = row.pairedTorch && row.pairedTorch.length === row.train?.length ? row.pairedTorch : undefined;
    if (row.train?.length) {
      row.imagesPerSec = median(row.train.map((t) => t.imagesPerSecMedian));
      row.trainRatio = paired
        ? median(row.train.map((t, i) => t.imagesPerSecMedian / (paired[i].imagesPerSecMedian ?? paired[i].imagesPerSec)))
        : row.imagesPerSec / torchImagesPerSec;
    }
    if (row.infer?.length) {
      row.latencyMs = median(row.infer.map((t) => t.latencyMs));
      row.latencyRatio = paired && paired.length === row.infer.length ? median(row.infer.map((t, i) => t.latencyMs / paired[i].latencyMs)) : row.latencyMs / torchLatencyMs;
    }
  }
  return { arch: o.archPath, batch, createdAt: new Date().toISOString(), torch, torchImagesPerSec, torchLatencyMs, rows };
}

const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const spread = (xs: number[] | undefined, d = 1) => (xs && xs.length > 1 ? ` [${f(Math.min(...xs), d)}–${f(Math.max(...xs), d)}]` : '');

/** The comparison as a plain-text table (for the caller to print). */
export function formatCompareTable(r: CompareReport): string {
  const lines = [
    `net ${r.arch}, batch ${r.batch}`,
    `${'plugin'.padEnd(10)} ${'train img/s'.padStart(24)} ${'× torch'.padStart(8)} ${'batch-1 ms'.padStart(24)} ${'× torch'.padStart(8)}`,
    `${'pytorch'.padEnd(10)} ${(f(r.torchImagesPerSec) + spread(r.torch.map((t) => t.imagesPerSecMedian ?? t.imagesPerSec))).padStart(24)} ${'1.00'.padStart(8)} ${(f(r.torchLatencyMs, 3) + spread(r.torch.map((t) => t.latencyMs), 3)).padStart(24)} ${'1.00'.padStart(8)}`,
  ];
  for (const row of r.rows) {
    if (!row.available) {
      lines.push(`${row.backend.padEnd(10)} unavailable: ${row.reason}`);
      continue;
    }
    lines.push(
      `${row.backend.padEnd(10)} ${(f(row.imagesPerSec) + spread(row.train?.map((t) => t.imagesPerSecMedian))).padStart(24)} ${f(row.trainRatio, 2).padStart(8)} ${(f(row.latencyMs, 3) + spread(row.infer?.map((t) => t.latencyMs), 3)).padStart(24)} ${f(row.latencyRatio, 2).padStart(8)}${row.error ? `  error: ${row.error}` : ''}`,
    );
  }
  return lines.join('\n');
}

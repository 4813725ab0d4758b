import { benchInfer, benchKernels, benchTrain, chooseBackend, compareWithTorch, formatCompareTable } from '@fbnet/bench';
import { benchDmasking, writeBenchDmasking } from '@fbnet/dmasking';
import { FbnetError } from '@fbnet/core';
import { loadLut, nodeFingerprint } from '@fbnet/latency-lut';
import { describeChoice, initBackend } from '../backend.ts';
import { baselineArchs, runBaselines } from '../pipelines/baselines.ts';
import { SEARCH_V1_PRESETS } from '@fbnet/pipeline';
import { readArchDef } from '../files.ts';
import { makeOutput, progressBar } from '../output.ts';
import { AUTO_BACKEND } from './backends.ts';
import type { BenchLine } from './bench.ts';

export async function runBench(line: BenchLine): Promise<number> {
  const out = makeOutput(!!line.flags.json);
  // The arch file is read here first so a missing or broken file is named before any benchmark starts.
  if ('arch' in line.flags && line.flags.arch) readArchDef(line.flags.arch);
  if ('backend' in line.flags && line.flags.backend === AUTO_BACKEND) {
    const choice = await chooseBackend({ threads: line.flags.threads });
    out.info(describeChoice(choice));
    line.flags.backend = choice.chosen;
  }
  switch (line.sub) {
    case 'kernels': {
      const f = line.flags;
      const r = await benchKernels({
        arch: f.arch,
        space: f.space,
        backend: f.backend ?? 'wasm',
        batch: f.batch,
        forwardBatch: f['forward-batch'],
        out: f.out,
        threads: f.threads,
        onResult: (t, i, total) => out.progress(progressBar(`${t.kernel} ${t.variant} ${t.medianMs.toFixed(3)} ms`, i + 1, total)),
      });
      out.endProgress();
      out.info(`kernel plan: ${r.planPath} (${r.plan.entries.length} shapes, ${r.timings.length} variant timings)`);
      const { kind, backend, batch, planPath, resultsPath, fingerprint } = r;
      out.result({ kind, backend, batch, planPath, resultsPath, entries: r.plan.entries.length, fingerprint });
      return 0;
    }
    case 'train': {
      const f = line.flags;
      const r = await benchTrain({
        archPath: f.arch,
        backend: f.backend ?? 'wasm',
        batch: f.batch ?? 64,
        steps: f.steps,
        threads: f.threads,
        plan: f.plan ?? 'auto',
        data: f.data,
        readEvery: f['read-every'],
      });
      out.info(`${r.backend}: ${r.imagesPerSec.toFixed(1)} img/s (median step ${r.stepMsMedian.toFixed(1)} ms, batch ${r.batch}); tensor leak ${r.tensorLeak}`);
      out.result(r);
      return 0;
    }
    case 'infer': {
      const f = line.flags;
      const r = await benchInfer({
        archPath: f.arch,
        backend: f.backend ?? 'wasm',
        batch: f.batch ?? 1,
        iterations: f.iterations,
        threads: f.threads,
        plan: f.plan ?? 'auto',
      });
      out.info(`${r.backend}: median ${r.latencyMs.toFixed(3)} ms at batch ${r.batch}`);
      out.result(r);
      return 0;
    }
    case 'torch': {
      const f = line.flags;
      const r = await compareWithTorch({
        archPath: f.arch,
        backends: f.backends,
        batch: f.batch,
        steps: f.steps,
        threads: f.threads,
        withPlan: f['with-plan'],
        repeats: f.repeats,
        onProgress: (m) => out.progress(m),
      });
      out.endProgress();
      out.info(formatCompareTable(r));
      out.result(r);
      return 0;
    }
    case 'dmasking': {
      const f = line.flags;
      const backend = await initBackend(f.backend ?? 'wasm', { threads: f.threads, autotune: false });
      const r = await benchDmasking({ batch: f.batch, rounds: f.rounds });
      const path = writeBenchDmasking(r, 'benchmarks/results');
      out.info(
        `${backend.id}: step time 8 vs 1 channel options ×${r.stepTimeRatio8to1.toFixed(3)}, memory ×${r.memoryRatio8to1.toFixed(3)}, ` +
          `4 vs 1 resolutions ×${r.resolutionTimeRatio4to1.toFixed(3)} (${path})`,
      );
      out.result({ ...r, backend: backend.id, resultsPath: path });
      return 0;
    }
    case 'baselines': {
      const f = line.flags;
      const presetName = f.preset ?? 'quick';
      const backend = await initBackend(f.backend ?? 'wasm', { threads: f.threads, autotune: false });
      const lut = f.lut ? loadLut(f.lut, { device: nodeFingerprint(backend.plugin, backend.plan) }) : undefined;
      const path = f.out ?? `v1-baselines-${presetName}.json`;
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      try {
        const r = await runBaselines({
          preset: SEARCH_V1_PRESETS[presetName],
          presetName,
          seed: f.seed ?? 0,
          random: f.random ?? 6,
          backend: backend.id,
          dataDir: f['data-dir'],
          lut,
          out: path,
          signal: ac.signal,
          onEpoch: (name, e, n) => out.progress(progressBar(`${name}: epoch ${e}/${n}`, e, n)),
          onNet: (n, i, total) => out.info(`[${i}/${total}] ${n.name}: ${(n.testAccuracy * 100).toFixed(2)}% test, ${n.latencyMs.toFixed(3)} ms, ${n.params} params`),
        });
        out.endProgress();
        const total = baselineArchs(r.space, r.random, r.seed).length;
        if (r.nets.length < total) throw new FbnetError('CHECKPOINT', `baselines interrupted after ${r.nets.length} of ${total} nets; rerun the same command to continue (${path})`);
        out.info(`baselines: ${path}; Pareto front: ${r.front.join(', ')}`);
        out.result({ path, nets: r.nets.length, front: r.front, preset: presetName, backend: backend.id });
        return 0;
      } finally {
        process.off('SIGINT', stop);
      }
    }
  }
}

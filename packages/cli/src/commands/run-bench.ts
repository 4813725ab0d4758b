import { parseArgs } from 'node:util';
import { benchInfer, benchKernels, benchTrain, compareWithTorch, formatCompareTable } from '@fbnet/bench';
import { benchDmasking, writeBenchDmasking } from '@fbnet/dmasking';
import { initBackend } from '../backend.ts';
import { usageError, type Command } from '../command.ts';
import { makeOutput, progressBar } from '../output.ts';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'per-device benchmarks: kernels (writes the kernel plan), train, infer, torch (side by side with PyTorch), dmasking (V2 cost ratios)',
  usage:
    'fbnet bench kernels (--arch FILE | --space NAME|FILE) [--backend ID] [--batch N] [--forward-batch N] [--out plan.json] [--json]\n' +
    '  fbnet bench train --arch FILE [--backend ID] [--batch 64] [--steps N] [--json]\n' +
    '  fbnet bench infer --arch FILE [--backend ID] [--batch 1] [--iterations N] [--json]\n' +
    '  fbnet bench torch --arch FILE [--backends cpu,wasm] [--with-plan] [--repeats N] [--json]\n' +
    '  fbnet bench dmasking [--backend ID] [--batch 32] [--rounds N] [--json]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        arch: { type: 'string' },
        space: { type: 'string' },
        backend: { type: 'string', default: 'wasm' },
        backends: { type: 'string' },
        batch: { type: 'string' },
        'forward-batch': { type: 'string' },
        steps: { type: 'string' },
        iterations: { type: 'string' },
        out: { type: 'string' },
        plan: { type: 'string' },
        threads: { type: 'string' },
        data: { type: 'string' },
        'with-plan': { type: 'boolean' },
        repeats: { type: 'string' },
      },
    });
    const out = makeOutput(!!values.json);
    const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const threads = num(values.threads);
    switch (positionals[0]) {
      case 'kernels': {
        if (!values.arch && !values.space) throw usageError(this.usage, 'bench kernels needs --arch or --space');
        const r = await benchKernels({
          arch: values.arch,
          space: values.space,
          backend: values.backend!,
          batch: num(values.batch),
          forwardBatch: num(values['forward-batch']),
          out: values.out,
          threads,
          onResult: (t, i, total) => out.progress(progressBar(`${t.kernel} ${t.variant} ${t.medianMs.toFixed(3)} ms`, i + 1, total)),
        });
        out.endProgress();
        out.info(`kernel plan: ${r.planPath} (${r.plan.entries.length} shapes, ${r.timings.length} variant timings)`);
        out.result({ kind: r.kind, backend: r.backend, batch: r.batch, planPath: r.planPath, resultsPath: r.resultsPath, entries: r.plan.entries.length, fingerprint: r.fingerprint });
        return 0;
      }
      case 'train': {
        if (!values.arch) throw usageError(this.usage, 'bench train needs --arch');
        const r = await benchTrain({ archPath: values.arch, backend: values.backend!, batch: num(values.batch) ?? 64, steps: num(values.steps), threads, plan: values.plan ?? 'auto', data: values.data as 'random' | 'fashion-mnist' | undefined });
        out.info(`${r.backend}: ${r.imagesPerSec.toFixed(1)} img/s (median step ${r.stepMsMedian.toFixed(1)} ms, batch ${r.batch}); tensor leak ${r.tensorLeak}`);
        out.result(r);
        return 0;
      }
      case 'infer': {
        if (!values.arch) throw usageError(this.usage, 'bench infer needs --arch');
        const r = await benchInfer({ archPath: values.arch, backend: values.backend!, batch: num(values.batch) ?? 1, iterations: num(values.iterations), threads, plan: values.plan ?? 'auto' });
        out.info(`${r.backend}: median ${r.latencyMs.toFixed(3)} ms at batch ${r.batch}`);
        out.result(r);
        return 0;
      }
      case 'torch': {
        if (!values.arch) throw usageError(this.usage, 'bench torch needs --arch');
        const r = await compareWithTorch({ archPath: values.arch, backends: values.backends?.split(','), batch: num(values.batch), steps: num(values.steps), threads, withPlan: values['with-plan'], repeats: num(values.repeats), onProgress: (m) => out.progress(m) });
        out.endProgress();
        out.info(formatCompareTable(r));
        out.result(r);
        return 0;
      }
      case 'dmasking': {
        const backend = await initBackend(values.backend!, { threads });
        const r = await benchDmasking({ batch: num(values.batch), rounds: num(values.repeats) });
        const path = writeBenchDmasking(r, 'benchmarks/results');
        out.info(`${backend.id}: step time 8 vs 1 channel options ×${r.stepTimeRatio8to1.toFixed(3)}, memory ×${r.memoryRatio8to1.toFixed(3)}, 4 vs 1 resolutions ×${r.resolutionTimeRatio4to1.toFixed(3)} (${path})`);
        out.result({ ...r, backend: backend.id, resultsPath: path });
        return 0;
      }
      default:
        throw usageError(this.usage, positionals[0] ? `unknown benchmark "${positionals[0]}"` : undefined);
    }
  },
};

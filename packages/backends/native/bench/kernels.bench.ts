/**
 * Native kernel benchmarks on the shapes of the FBNet-like net (bench/small-net.json, batch 64):
 * every kernel of a training step timed alone (resident buffers), the whole step
 * (forward + loss + backward), SGEMM GFLOP/s, each at 1 thread and at all cores.
 * Prints a table and writes benchmarks/results/native-kernels-<hostname>.json; PyTorch timings
 * of the same ops (benchmarks/torch/kernels.py) stored in that file are shown side by side.
 *
 *   npm run bench -w @fbnet/native-kernels [-- --threads=1,2 --time=400 --filter=conv2d]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, hostname, loadavg } from 'node:os';
import { Bench } from 'tinybench';
import { loadNativeKernels, type HeapArray, type NativeKernels } from '../src/index.ts';
import { loadNetSpec, NativeNet, opFlops, opKey, type OpSpec } from './net.ts';
import { rand } from '../test/close.ts';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'];
  }),
);
const threadCounts = [...new Set((args.threads ?? `1,${availableParallelism()}`).split(',').map(Number))];
const timeMs = Number(args.time ?? 400);
const filter = args.filter ? new RegExp(args.filter) : null;

const resultsDir = new URL('../../../../benchmarks/results/', import.meta.url);
const resultsFile = new URL(`native-kernels-${hostname()}.json`, resultsDir);

/** Resident inputs/outputs for one op and the call to time. */
function prepare(k: NativeKernels, o: OpSpec): { run: () => void; buffers: HeapArray[] } {
  const bufs: HeapArray[] = [];
  const res = (n: number, seed: number) => {
    const h = k.heap.fromArray(rand(n, seed));
    bufs.push(h);
    return h;
  };
  switch (o.kind) {
    case 'conv2d': {
      const p = o.p, { outH, outW } = k.conv2dOutShape(p);
      const x = res(p.n * p.h * p.w * p.cin, 1), w = res(p.kh * p.kw * (p.cin / p.groups) * p.cout, 2);
      const y = res(p.n * outH * outW * p.cout, 3), dw = res(w.length, 4), dx = res(x.length, 5);
      if (o.pass === 'fwd') return { run: () => k.conv2d(x, w, p, y), buffers: bufs };
      if (o.pass === 'dx') return { run: () => k.conv2dBackpropInput(y, w, p, dx), buffers: bufs };
      return { run: () => k.conv2dBackpropFilter(x, y, p, dw), buffers: bufs };
    }
    case 'depthwise': {
      const p = o.p, { outH, outW } = k.depthwiseOutShape(p);
      const x = res(p.n * p.h * p.w * p.c, 1), w = res(p.kh * p.kw * p.c, 2);
      const y = res(p.n * outH * outW * p.c, 3), dw = res(w.length, 4), dx = res(x.length, 5);
      if (o.pass === 'fwd') return { run: () => k.depthwiseConv2d(x, w, p, y), buffers: bufs };
      if (o.pass === 'dx') return { run: () => k.depthwiseConv2dBackpropInput(y, w, p, dx), buffers: bufs };
      return { run: () => k.depthwiseConv2dBackpropFilter(x, y, p, dw), buffers: bufs };
    }
    case 'bn': {
      const p = o.p, size = p.n * p.h * p.w * p.c;
      const x = res(size, 1), y = res(size, 2), dy = res(size, 3);
      const g = new Float32Array(p.c).fill(1), b = new Float32Array(p.c);
      const f = k.batchNormActTrain(x, g, b, p, y);
      if (o.pass === 'fwd') return { run: () => k.batchNormActTrain(x, g, b, p, y), buffers: bufs };
      return { run: () => k.batchNormActGrad(dy, x, g, b, f.mean, f.invStd, p, y), buffers: bufs };
    }
    case 'gemm': {
      const p = o.p;
      const a = res(p.m * p.k, 1), b = res(p.k * p.n, 2), c = res(p.m * p.n, 3);
      return { run: () => k.gemm(a, b, p, c), buffers: bufs };
    }
  }
}

/** Median and minimum of a task's samples, ms. The minimum is the better estimate of a kernel's
 * own cost on a shared machine; the median shows what a run typically sees. */
interface Stat {
  p50: number;
  min: number;
}

interface Row {
  key: string;
  flops: number;
  native: Record<string, Stat>;
  /** threads=1 only: minimum CPU time per call (process.cpuUsage), ms. Insensitive to other
   * processes taking turns on the cores, unlike wall time; compare with torch's cpu1. */
  cpu1?: number;
}

/** Minimum CPU time of one call, ms (threads=1: the process's CPU time is this thread's). */
function cpuMin(fn: () => void, reps: number): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  return best;
}

const GEMM_SHAPES: OpSpec[] = [
  { kind: 'gemm', pass: 'fwd', p: { m: 512, n: 512, k: 512 } },
  { kind: 'gemm', pass: 'fwd', p: { m: 12544, n: 96, k: 16 } },
  { kind: 'gemm', pass: 'fwd', p: { m: 12544, n: 24, k: 144 } },
  { kind: 'gemm', pass: 'fwd', p: { m: 1024, n: 384, k: 64 } },
];

async function main(): Promise<void> {
  const spec = loadNetSpec();
  const rows = new Map<string, Row>();
  const step: Record<string, Stat> = {};
  let cpuStep: number | undefined;
  const copyApi: Record<string, { resident: Stat; copying: Stat }> = {};
  const loadBefore = loadavg();
  const opsSpec = new Map<string, OpSpec>();
  for (const T of threadCounts) {
    const k = await loadNativeKernels({ threads: T });
    const net = new NativeNet(k, spec);
    for (let i = 0; i < 3; i++) net.step();
    const bench = new Bench({ name: `native T=${T}`, time: timeMs, warmupTime: 50, iterations: 5 });
    bench.add('train step (fwd+bwd)', () => {
      net.step();
    });
    const unique = new Map<string, OpSpec>();
    for (const o of [...net.ops, ...GEMM_SHAPES]) if (!filter || filter.test(opKey(o))) unique.set(opKey(o), o);
    for (const [key, o] of unique) opsSpec.set(key, o);
    const prepared = [...unique.values()].map((o) => ({ o, ...prepare(k, o) }));
    for (const { o, run } of prepared) bench.add(opKey(o), run);
    // the copying API on the largest expand conv: what a TF.js kernel pays without resident buffers
    const big = [...unique.values()].find((o) => o.kind === 'conv2d' && o.pass === 'fwd' && o.p.cout === 144 && o.p.h === 14);
    if (big && big.kind === 'conv2d') {
      const p = big.p, x = rand(p.n * p.h * p.w * p.cin, 1), w = rand(p.cin * p.cout, 2);
      bench.add(`copy-API ${opKey(big)}`, () => {
        k.conv2d(x, w, p);
      });
    }
    await bench.run();
    const stat = (name: string): Stat => {
      const r = bench.tasks.find((t) => t.name === name)!.result;
      if (r.state !== 'completed') throw new Error(`${name}: ${r.state}`);
      return { p50: r.latency.p50, min: r.latency.min };
    };
    step[T] = stat('train step (fwd+bwd)');
    if (big) copyApi[T] = { resident: stat(opKey(big)), copying: stat(`copy-API ${opKey(big)}`) };
    for (const [key, o] of unique) {
      const row = rows.get(key) ?? { key, flops: opFlops(o), native: {} };
      row.native[T] = stat(key);
      rows.set(key, row);
    }
    if (T === 1) {
      cpuStep = cpuMin(() => net.step(), 10);
      for (const { o, run } of prepared) rows.get(opKey(o))!.cpu1 = cpuMin(run, 20);
    }
    for (const p of prepared) for (const b of p.buffers) b.dispose();
    net.dispose();
    await k.dispose();
  }

  // keep PyTorch numbers written by benchmarks/torch/kernels.py into the same file
  const previous = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as { torch?: TorchSection }) : {};
  // torch numbers from an older file layout (plain medians) are dropped rather than misread
  const torch = typeof previous.torch?.step?.min === 'number' ? previous.torch : undefined;
  const out = {
    version: 2,
    host: hostname(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    date: new Date().toISOString(),
    loadavg1: { before: +loadBefore[0].toFixed(2), after: +loadavg()[0].toFixed(2) },
    net: 'packages/backends/native/bench/small-net.json',
    batch: spec.batch,
    threads: threadCounts,
    units: 'ms per call; p50 = tinybench median, min = fastest sample',
    step,
    cpuStep1: cpuStep,
    copyApi,
    ops: [...rows.values()].map((r) => ({ ...r, spec: opsSpec.get(r.key) })),
    ...(torch ? { torch } : {}),
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(resultsFile, JSON.stringify(out, null, 1) + '\n');
  printTable(out.ops, step, cpuStep, copyApi, out.loadavg1, torch);
  console.log(`\nwrote ${resultsFile.pathname}`);
}

interface TorchSection {
  threads: number;
  step: Stat;
  ops: Record<string, Stat>;
  /** torch.set_num_threads(1), minimum process CPU time per call, ms */
  cpu1?: { step: number; ops: Record<string, number> };
}

function printTable(
  ops: Row[], step: Record<string, Stat>, cpuStep: number | undefined, copyApi: Record<string, { resident: Stat; copying: Stat }>,
  load: { before: number; after: number }, torch?: TorchSection,
): void {
  const Tmax = Math.max(...threadCounts);
  const table = ops.map((r) => {
    const t = torch?.ops[r.key]?.min;
    const best = r.native[Tmax].min;
    return {
      op: r.key,
      MFLOP: r.flops ? +(r.flops / 1e6).toFixed(1) : '',
      ...Object.fromEntries(threadCounts.map((T) => [`T${T} min`, +r.native[T].min.toFixed(3)])),
      ...Object.fromEntries(threadCounts.map((T) => [`T${T} p50`, +r.native[T].p50.toFixed(3)])),
      [`GF/s T${Tmax}`]: r.flops ? +(r.flops / best / 1e6).toFixed(1) : '',
      ...(torch ? { [`torch T${torch.threads} min`]: t !== undefined ? +t.toFixed(3) : '', 'torch/native': t !== undefined ? +(t / best).toFixed(2) : '' } : {}),
      'cpu1 ms': r.cpu1 !== undefined ? +r.cpu1.toFixed(3) : '',
      ...(torch?.cpu1 ? { 'torch cpu1': +(torch.cpu1.ops[r.key] ?? NaN).toFixed(3), 'torch/native cpu1': +((torch.cpu1.ops[r.key] ?? NaN) / (r.cpu1 ?? NaN)).toFixed(2) } : {}),
    };
  });
  const netOps = ops.filter((r) => !GEMM_SHAPES.some((g) => opKey(g) === r.key) || r.key.startsWith('gemm.fwd 64x'));
  console.table(table);
  console.log(`load average (1 min) before/after: ${load.before} / ${load.after} on ${availableParallelism()} cores`);
  for (const T of threadCounts) {
    const sum = netOps.reduce((s, r) => s + r.native[T].min, 0);
    console.log(
      `threads=${T}: train step (fwd+bwd, batch 64) p50 ${step[T].p50.toFixed(2)} ms (${(64000 / step[T].p50).toFixed(0)} img/s), ` +
        `min ${step[T].min.toFixed(2)} ms (${(64000 / step[T].min).toFixed(0)} img/s); sum of per-kernel minima ${sum.toFixed(2)} ms`,
    );
    if (copyApi[T]) console.log(`  copying API vs resident buffers, 14x14 24->144 expand conv: ${copyApi[T].copying.p50.toFixed(3)} ms vs ${copyApi[T].resident.p50.toFixed(3)} ms (p50)`);
  }
  if (cpuStep !== undefined) console.log(`threads=1 CPU time of a train step: ${cpuStep.toFixed(2)} ms` + (torch?.cpu1 ? ` (torch 1 thread: ${torch.cpu1.step.toFixed(2)} ms)` : ''));
  if (torch) console.log(`torch (threads=${torch.threads}): train step p50 ${torch.step.p50.toFixed(2)} ms, min ${torch.step.min.toFixed(2)} ms (${(64000 / torch.step.min).toFixed(0)} img/s)`);
  else console.log('no PyTorch numbers yet: run /usr/bin/python3 benchmarks/torch/kernels.py after this to add them');
}

await main();

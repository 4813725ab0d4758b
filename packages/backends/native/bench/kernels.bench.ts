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
import { availableParallelism, cpus, hostname } from 'node:os';
import { Bench } from 'tinybench';
import { loadNativeKernels, type HeapArray, type NativeKernels } from '../src/index.ts';
import { loadNetSpec, NativeNet, opFlops, opKey, type OpSpec } from './net.ts';

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

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

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

interface Row {
  key: string;
  flops: number;
  ms: Record<string, number>;
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
  const stepMs: Record<string, number> = {};
  const copyApi: Record<string, { resident: number; copying: number }> = {};
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
    for (const t of bench.tasks) {
      const r = t.result;
      if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}`);
      const ms = r.latency.p50;
      if (t.name === 'train step (fwd+bwd)') stepMs[T] = ms;
      else if (t.name.startsWith('copy-API ')) {
        const key = t.name.slice('copy-API '.length);
        copyApi[T] = { resident: bench.tasks.find((x) => x.name === key)!.result.state === 'completed' ? (bench.tasks.find((x) => x.name === key)!.result as { latency: { p50: number } }).latency.p50 : NaN, copying: ms };
      } else {
        const o = unique.get(t.name)!;
        const row = rows.get(t.name) ?? { key: t.name, flops: opFlops(o), ms: {} };
        row.ms[T] = ms;
        rows.set(t.name, row);
      }
    }
    for (const p of prepared) for (const b of p.buffers) b.dispose();
    net.dispose();
    await k.dispose();
  }

  // keep PyTorch numbers written by benchmarks/torch/kernels.py into the same file
  const previous = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as { torch?: TorchSection }) : {};
  const torch = previous.torch;
  const opsSpec = new Map<string, OpSpec>();
  {
    const k = await loadNativeKernels({ threads: 1 });
    const net = new NativeNet(k, spec);
    for (const o of [...net.ops, ...GEMM_SHAPES]) opsSpec.set(opKey(o), o);
    net.dispose();
    await k.dispose();
  }
  const out = {
    version: 1,
    host: hostname(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    date: new Date().toISOString(),
    net: 'packages/backends/native/bench/small-net.json',
    batch: spec.batch,
    threads: threadCounts,
    statistic: 'median ms (tinybench p50)',
    step: stepMs,
    copyApi,
    ops: [...rows.values()].map((r) => ({ ...r, spec: opsSpec.get(r.key) })),
    ...(torch ? { torch } : {}),
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(resultsFile, JSON.stringify(out, null, 1) + '\n');
  printTable(out.ops, stepMs, copyApi, torch);
  console.log(`\nwrote ${resultsFile.pathname}`);
}

interface TorchSection {
  threads: number;
  step: number;
  ops: Record<string, number>;
}

function printTable(ops: Row[], step: Record<string, number>, copyApi: Record<string, { resident: number; copying: number }>, torch?: TorchSection): void {
  const Tmax = Math.max(...threadCounts);
  const table = ops.map((r) => {
    const t = torch?.ops[r.key];
    const ms = r.ms[Tmax];
    return {
      op: r.key,
      MFLOP: r.flops ? +(r.flops / 1e6).toFixed(1) : '',
      ...Object.fromEntries(threadCounts.map((T) => [`T${T} ms`, +r.ms[T].toFixed(3)])),
      [`GFLOP/s T${Tmax}`]: r.flops ? +(r.flops / ms / 1e6).toFixed(1) : '',
      ...(torch ? { [`torch T${torch.threads} ms`]: t !== undefined ? +t.toFixed(3) : '', 'torch/native': t !== undefined ? +(t / ms).toFixed(2) : '' } : {}),
    };
  });
  const sum = (T: number) => ops.filter((r) => !r.key.startsWith('gemm.fwd 512') && !/^gemm\.fwd (12544|1024)x/.test(r.key)).reduce((s, r) => s + r.ms[T], 0);
  console.table(table);
  for (const T of threadCounts) {
    console.log(`threads=${T}: train step (fwd+bwd, batch 64) ${step[T].toFixed(2)} ms = ${(64000 / step[T]).toFixed(0)} img/s; sum of kernels ${sum(T).toFixed(2)} ms`);
    if (copyApi[T]) console.log(`  copy API vs resident on the 14x14 24->144 expand conv: ${copyApi[T].copying.toFixed(3)} ms vs ${copyApi[T].resident.toFixed(3)} ms`);
  }
  if (torch) console.log(`torch (threads=${torch.threads}): train step ${torch.step.toFixed(2)} ms = ${(64000 / torch.step).toFixed(0)} img/s`);
  else console.log('no PyTorch numbers yet: run /usr/bin/python3 benchmarks/torch/kernels.py after this to add them');
}

await main();

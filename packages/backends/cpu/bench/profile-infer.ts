/**
 * Where batch-1 inference time goes on a plugin (#16 "profile first"): per-kernel self time
 * (tf.profile), kernel count, and the wall time outside kernels (tfjs dispatch, allocation, glue).
 *
 *   node --conditions=source --import ./packages/bench/node/register.mjs --import tsx \
 *     packages/backends/cpu/bench/profile-infer.ts [--backends cpu,wasm] [--rounds 3] [--iterations 300]
 *
 * Rounds alternate the plugins, so drift on a shared machine hits each alike.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@fbnet/core';
import { Net } from '@fbnet/nn';
import { loadArch, setupPlugin } from '@fbnet/bench';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'benchmarks/nets/fbnet-bench-28.json' },
    backends: { type: 'string', default: 'cpu,wasm' },
    rounds: { type: 'string', default: '3' },
    iterations: { type: 'string', default: '300' },
    threads: { type: 'string' },
  },
});
const threads = values.threads ? Number(values.threads) : undefined;
const { def } = await loadArch(undefined, values.arch);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

for (let round = 0; round < Number(values.rounds); round++) {
  for (const id of values.backends!.split(',')) {
    const { plugin } = await setupPlugin({ backend: id, plan: 'auto', threads });
    const net = new Net(def, { seed: 0 });
    const rng = new Rng(0);
    const s = def.input_size;
    const x = tf.tensor4d(Float32Array.from({ length: s * s * def.input_channels }, () => Math.floor(rng.next() * 256)), [1, s, s, def.input_channels]);
    const once = async () => {
      const y = net.forward(x, { training: false });
      await y.data();
      y.dispose();
    };
    for (let i = 0; i < 50; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < Number(values.iterations); i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    const before = tf.memory().numTensors;
    // Kernel self times: median over 50 profiled runs per kernel position.
    const perKernel = new Map<string, number[]>();
    const walls: number[] = [];
    let count = 0;
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const p = await tf.profile(once);
      walls.push(performance.now() - t0);
      count = p.kernels.filter((k) => !k.name.endsWith("__op")).length;
      p.kernels.filter((k) => !k.name.endsWith("__op")).forEach((k, j) => {
        const key = `${String(j).padStart(2)} ${k.name} ${k.inputShapes.map((s) => s?.join('x')).join(',')}`;
        const v = perKernel.get(key) ?? [];
        v.push(k.kernelTimeMs as number);
        perKernel.set(key, v);
      });
    }
    const rows = [...perKernel].map(([k, v]) => [k, median(v)] as const);
    const kernelSum = rows.reduce((a, [, t]) => a + t, 0);
    console.log(`\n== round ${round} ${id}: latency median ${median(times).toFixed(3)} ms (p10 ${[...times].sort((a, b) => a - b)[Math.floor(times.length / 10)].toFixed(3)}); ${count} kernels; kernel self-time sum ${kernelSum.toFixed(3)} ms; profiled wall ${median(walls).toFixed(3)} ms; tensors leaked ${tf.memory().numTensors - before}`);
    const byName = new Map<string, number>();
    for (const [k, t] of rows) byName.set(k.split(' ').filter(Boolean)[1], (byName.get(k.split(' ').filter(Boolean)[1]) ?? 0) + t);
    console.log([...byName].sort((a, b) => b[1] - a[1]).map(([n, t]) => `${n} ${(t * 1000).toFixed(0)}us`).join(' | '));
    const counts = (plugin as { dispatcher?: { callCounts(): Record<string, Record<string, number>> } }).dispatcher?.callCounts() ?? {};
    console.log('variants run:', Object.entries(counts).filter(([, v]) => Object.keys(v).length).map(([k, v]) => `${k} ${Object.keys(v).join('/')}`).join(', '));
    if (round === 0) for (const [k, t] of rows) console.log(`  ${(t * 1000).toFixed(1).padStart(6)} us  ${k}`);
    x.dispose();
    net.dispose();
    await plugin.dispose?.();
  }
}

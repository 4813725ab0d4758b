/**
 * Drift-free check of the in-net timing method (not of a stored table): the context archs of a
 * space and N sampled validation nets are run in lockstep, one iteration of each in turn, so
 * every one of them sees the same machine load at every moment. Entries (`ms` shares, see
 * measure-context.ts) are computed from the context iterations, and each validation net's
 * median from its own; the figures say how well Σ ms predicts a net when load drift is taken
 * out. On a quiet machine the regular `validateLut` measures the same thing.
 *
 *   npx tsx packages/latency-lut/bench/drift-free-check.ts --backend wasm --space fbnet-v1-fmnist --samples 30 --iterations 200
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { archFromChoice, getSearchSpacePreset, Rng, sampleChoice, type ArchDef } from '@fbnet/core';
import { Net } from '@fbnet/nn';
import { archSteps, fitFigures, planSpaceContexts, spaceEntries, writeJsonAtomic } from '../src/index.ts';
import { splitRound } from '../src/measure-context.ts';
import { stockCpuPlugin, stockWasmPlugin } from '../src/_stock-plugins.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    space: { type: 'string', default: 'fbnet-v1-fmnist' },
    samples: { type: 'string', default: '30' },
    iterations: { type: 'string', default: '200' },
    out: { type: 'string' },
  },
});
const backend = values.backend === 'cpu' ? stockCpuPlugin : stockWasmPlugin;
await backend.init();
const space = getSearchSpacePreset(values.space!);
const now = () => performance.now();
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function chain(def: ArchDef) {
  const net = new Net(def);
  const input = tf.randomUniform([1, ...net.inputShape], 0, 255) as tf.Tensor4D;
  const fns: ((x: tf.Tensor) => tf.Tensor)[] = [
    (x) => net.normalize(x as tf.Tensor4D),
    ...net.blocks.map((b) => (x: tf.Tensor) => b.forward(x as tf.Tensor4D, { training: false })),
    (x) => tf.tidy(() => net.classify(tf.reshape(tf.mean(x, [1, 2]), [1, x.shape[3] as number]) as tf.Tensor2D, { training: false })),
  ];
  // Same per-step timing as measure-context.ts's ContextChain on a synchronous backend.
  const steps = async () => {
    const n = fns.length;
    const t = new Array<number>(n).fill(0);
    const sync = new Array<number>(n).fill(0);
    let x: tf.Tensor = input;
    let producer = -1;
    for (let i = 0; i < n; i++) {
      const t0 = now();
      const y = fns[i](x);
      const t1 = now();
      if (i === n - 1) {
        await y.data();
        sync[i] = now() - t1;
      }
      t[i] += t1 - t0;
      if (y !== x) {
        if (producer >= 0) {
          const td = now();
          x.dispose();
          t[producer] += now() - td;
        }
        producer = i;
      }
      x = y;
    }
    x.dispose();
    return { t, sync };
  };
  const whole = async () => {
    const t0 = now();
    const y = net.forward(input);
    await y.data();
    const d = now() - t0;
    y.dispose();
    return d;
  };
  return { steps, whole, keys: archSteps(def).map((s) => ({ key: s.key, head: s.role === 'head' })), dispose: () => (input.dispose(), net.dispose()) };
}

const plan = planSpaceContexts(space, new Set(spaceEntries(space).map((e) => e.key)));
const contexts = plan.contexts.map((c) => chain(c.arch));
const rng = new Rng(2026);
const defs = Array.from({ length: Number(values.samples) }, () => archFromChoice(space, sampleChoice(space, rng)));
const nets = defs.map(chain);
const rows: { t: number[]; sync: number[] }[][] = contexts.map(() => []);
const netTimes: number[][] = nets.map(() => []);
const started = now();
const load0 = loadavg().map((x) => Math.round(x * 100) / 100);
const iterations = Number(values.iterations);
for (let it = 0; it < iterations + 20; it++) {
  for (const [i, c] of contexts.entries()) {
    const r = await c.steps();
    if (it >= 20) rows[i].push(r);
  }
  for (const [i, n] of nets.entries()) {
    const d = await n.whole();
    if (it >= 20) netTimes[i].push(d);
  }
}
const ms = new Map<string, number>();
contexts.forEach((c, i) => {
  const split = splitRound(c.keys, rows[i], false);
  for (const k of plan.contexts[i].owned) ms.set(k, split.perKey.get(k)!.share!);
});
const predicted = defs.map((d) => archSteps(d).reduce((a, s) => a + ms.get(s.key)!, 0));
const measured = netTimes.map(median);
const figures = fitFigures(predicted, measured);
const result = {
  kind: 'fbnet-lut-drift-free-check',
  backend: backend.id,
  space: space.name,
  samples: defs.length,
  iterations,
  ...figures,
  seconds: (now() - started) / 1000,
  loadavg: { start: load0, end: loadavg().map((x) => Math.round(x * 100) / 100) },
  archs: defs.map((d, i) => ({ name: d.name, predictedMs: predicted[i], measuredMs: measured[i] })),
};
for (const c of [...contexts, ...nets]) c.dispose();
const out = values.out ?? join(resolve(import.meta.dirname, '../../../benchmarks/results'), `lut-drift-free-${backend.id}-${space.name}.json`);
await writeJsonAtomic(out, result);
process.stderr.write(`${space.name} on ${backend.id}: MAPE ${figures.mape.toFixed(2)}%, within ±10% ${(100 * figures.within10).toFixed(1)}%, τ ${figures.kendallTau.toFixed(3)} (${defs.length} archs, ${result.seconds.toFixed(0)} s) -> ${out}\n`);

/**
 * Where the DMasking channel search's extra step time goes: kernels per training step of the
 * benchmark supernets (`benchSpace`, 1 vs 8 width options per layer), grouped by kernel name
 * (median time over nine `tf.profile`d steps), the 8-option extras listed first; the kernels'
 * summed time against the step's wall time (the rest is tfjs dispatch, the tape and JS); the
 * tensors a step leaves behind. Wall times are interleaved (one step of each per round).
 *   npx tsx --conditions=source benchmarks/dmasking-profile.ts [wasm|cpu] [--batch 32] [--rounds 21]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { benchSpace, DMaskingSupernet } from '@fbnet/dmasking';
import { Rng } from '@fbnet/core';
import { crossEntropy } from '@fbnet/nn';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { batch: { type: 'string' }, rounds: { type: 'string' } } });
const backend = positionals[0] ?? 'wasm';
tf.env().set('PROD', true);
if (backend === 'wasm') await (await import('@fbnet/backend-wasm')).createWasmPlugin().init({});
else await (await import('@fbnet/backend-cpu')).createCpuPlugin().init({});
const batch = Number(values.batch ?? 32);
const rounds = Number(values.rounds ?? 21);
const rng = new Rng(1);
const x = tf.tensor4d(Float32Array.from({ length: batch * 28 * 28 }, () => rng.next() * 255), [batch, 28, 28, 1]);
const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32');

type Stat = { calls: number; ms: number };
function config(options: number) {
  const net = new DMaskingSupernet(benchSpace(options), { mean: [0.5], std: [0.5] }, 1);
  const vars = [...net.weightVariables(), ...net.thetaVariables()];
  const step = () =>
    tf.tidy(() => {
      const { value } = tf.variableGrads(() => crossEntropy(net.forward(x, { kind: 'gumbel', tau: 5, noise: net.sampleNoise(rng) }, { training: true }).logits, y), vars);
      value.dataSync();
    });
  return { net, step, times: [] as number[], cpu: [] as number[] };
}

async function kernelsOf(step: () => void) {
  for (let i = 0; i < 3; i++) step();
  const before = tf.memory().numTensors;
  step();
  const leak = tf.memory().numTensors - before;
  const runs: Map<string, Stat>[] = [];
  let kernels = 0;
  for (let r = 0; r < 9; r++) {
    const prof = await tf.profile(step);
    kernels = prof.kernels.length;
    const m = new Map<string, Stat>();
    for (const k of prof.kernels) {
      const e = m.get(k.name) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += Number(k.kernelTimeMs) || 0;
      m.set(k.name, e);
    }
    runs.push(m);
  }
  const by = new Map<string, Stat>();
  for (const name of runs[0].keys()) {
    const ms = runs.map((m) => m.get(name)?.ms ?? 0).sort((a, b) => a - b);
    by.set(name, { calls: runs[0].get(name)!.calls, ms: ms[ms.length >> 1] });
  }
  // Scopes (customGrad ops) contain kernels already counted.
  const kernelMs = [...by].filter(([k]) => k !== 'unnamed scope').reduce((s, [, e]) => s + e.ms, 0);
  return { kernels, leak, by, kernelMs };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const cfgs = [config(1), config(8)];
const prof = [];
for (const c of cfgs) prof.push(await kernelsOf(c.step));
for (let r = 0; r < rounds; r++) {
  for (const c of cfgs) {
    const t = performance.now();
    const u = process.cpuUsage();
    c.step();
    const du = process.cpuUsage(u);
    c.times.push(performance.now() - t);
    c.cpu.push((du.user + du.system) / 1000);
  }
}
const [one, eight] = prof;
const wall = cfgs.map((c) => median(c.times));
console.log(`kernels per step: 1 option ${one.kernels}, 8 options ${eight.kernels} (+${eight.kernels - one.kernels}); tensors left by a step ${one.leak}/${eight.leak}`);
console.log(`step median ms (interleaved): 1 option ${wall[0].toFixed(1)}, 8 options ${wall[1].toFixed(1)}; paired ratio ${median(cfgs[1].times.map((t, i) => t / cfgs[0].times[i])).toFixed(3)}`);
console.log(`step median CPU ms (this process; less sensitive to other load): 1 option ${median(cfgs[0].cpu).toFixed(1)}, 8 options ${median(cfgs[1].cpu).toFixed(1)}; paired ratio ${median(cfgs[1].cpu.map((t, i) => t / cfgs[0].cpu[i])).toFixed(3)}; min ${Math.min(...cfgs[0].cpu).toFixed(1)}/${Math.min(...cfgs[1].cpu).toFixed(1)} = ${(Math.min(...cfgs[1].cpu) / Math.min(...cfgs[0].cpu)).toFixed(3)}`);
console.log(`kernel ms per step: 1 option ${one.kernelMs.toFixed(1)}, 8 options ${eight.kernelMs.toFixed(1)}`);
const names = new Set([...one.by.keys(), ...eight.by.keys()]);
const rows = [...names].map((k) => ({ kernel: k, calls1: one.by.get(k)?.calls ?? 0, calls8: eight.by.get(k)?.calls ?? 0, ms1: +(one.by.get(k)?.ms ?? 0).toFixed(2), ms8: +(eight.by.get(k)?.ms ?? 0).toFixed(2) }));
rows.sort((a, b) => b.calls8 - b.calls1 - (a.calls8 - a.calls1) || b.calls8 - a.calls8);
console.table(rows);
cfgs.forEach((c) => c.net.dispose());
tf.dispose([x, y]);

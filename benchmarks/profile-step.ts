/**
 * Where a training step's time goes, fbnet (TF.js + a backend plugin) beside PyTorch CPU on the
 * same net (#16 "profile first").
 *
 *   npx tsx --conditions=source benchmarks/profile-step.ts [--arch benchmarks/nets/fbnet-bench-28.json]
 *       [--backend wasm] [--batch 64] [--threads 2] [--rounds 3] [--steps 20] [--out FILE]
 *
 * Per round (rounds alternate fbnet, PyTorch, so drift hits both):
 * - fbnet: wall time of the phases — forward + loss; gradients (forward + loss + backward) and
 *   the SGD-momentum update timed apart within each step; the whole step (`minimize`) —
 *   medians over `steps` steps each (backward = gradients − forward); then one `tf.profile`d step: every
 *   kernel's own time (wasm and cpu kernels are synchronous, so a kernel's time is its work),
 *   grouped by kernel; the share of the profiled step's wall time spent outside kernels (tfjs
 *   dispatch, the tape, allocation, JS glue) is reported as overhead, scaled to the unprofiled step.
 * - PyTorch: `benchmarks/torch/profile_step.py` (forward, backward, optimizer by wall clock;
 *   self CPU time per op from torch.profiler).
 * Writes benchmarks/results/profile-step-<backend>.json (medians over rounds, every round kept).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { parseArchDef, Rng } from '@fbnet/core';
import { crossEntropy, Net } from '@fbnet/nn';
import { writeJsonAtomic } from '@fbnet/runs';
import { Optimizer } from '@fbnet/train';
import { initBackend } from '../packages/cli/src/backend.ts';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'benchmarks/nets/fbnet-bench-28.json' },
    backend: { type: 'string', default: 'wasm' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '20' },
    out: { type: 'string' },
  },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const backend = await initBackend(values.backend!, { threads, autotune: false });
const def = parseArchDef(JSON.parse(readFileSync(values.arch!, 'utf8')));
const net = new Net(def, { seed: 0 });
// The optimizer `fbnet train` uses: PyTorch's SGD with momentum (no weight decay, as the yardstick).
const opt = new Optimizer({ kind: 'sgd', momentum: 0.9, weightDecay: 0 });
const update = (grads: tf.NamedTensorMap) => opt.apply(vars, grads, 0.01);
const vars = net.trainableVariables();
const rng = new Rng(0);
const size = def.input_size;
const x = tf.tensor4d(Float32Array.from({ length: batch * size * size * def.input_channels }, () => Math.floor(rng.next() * 256)), [batch, size, size, def.input_channels]);
const y = tf.tensor1d(Int32Array.from({ length: batch }, () => Math.floor(rng.next() * def.num_classes)), 'int32');
const loss = () => crossEntropy(net.forward(x, { training: true }), y);

const phases = {
  forward: () => tf.tidy(() => void loss().dataSync()),
  step: () => {
    const { value, grads } = tf.variableGrads(loss, vars);
    update(grads);
    tf.dispose(Object.values(grads));
    value.dataSync();
    value.dispose();
  },
};
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const wall = (f: () => void) => {
  const t: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return median(t);
};

/** One step in two timed parts, as the optimizer runs it: gradients (forward + loss + backward), then the update. */
function timedStep(): [number, number] {
  const t0 = performance.now();
  const { value, grads } = tf.variableGrads(loss, vars);
  value.dataSync();
  const t1 = performance.now();
  update(grads);
  tf.dispose(Object.values(grads));
  value.dispose();
  return [t1 - t0, performance.now() - t1];
}

async function fbnetRound() {
  for (let i = 0; i < 3; i++) phases.step();
  const forward = wall(phases.forward);
  const parts: [number, number][] = [];
  for (let i = 0; i < steps; i++) parts.push(timedStep());
  const forwardBackward = median(parts.map((p) => p[0]));
  const optimizer = median(parts.map((p) => p[1]));
  const step = wall(phases.step);
  const before = tf.memory().numTensors;
  const p0 = performance.now();
  const prof = await tf.profile(() => phases.step());
  const profiledMs = performance.now() - p0;
  const leak = tf.memory().numTensors - before;
  const byKernel = new Map<string, { calls: number; ms: number }>();
  for (const k of prof.kernels) {
    const e = byKernel.get(k.name) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += Number(k.kernelTimeMs) || 0;
    byKernel.set(k.name, e);
  }
  const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  return {
    phasesMs: { forward, backward: forwardBackward - forward, optimizer, step },
    kernelsPerStep: prof.kernels.length,
    kernelMsPerStep: kernelMs,
    profiledStepMs: profiledMs,
    // Profiling slows every kernel call a little; the share of kernel time in the profiled step,
    // applied to the unprofiled step, estimates the time outside kernels.
    kernelShare: kernelMs / profiledMs,
    overheadMsPerStep: step * (1 - kernelMs / profiledMs),
    tensorLeak: leak,
    kernels: [...byKernel].map(([name, e]) => ({ kernel: name, calls: e.calls, ms: e.ms })).sort((a, b) => b.ms - a.ms),
  };
}

function torchRound(): Promise<Record<string, unknown>> {
  const args = ['benchmarks/torch/profile_step.py', values.arch!, '--batch', String(batch), '--threads', String(threads), '--steps', String(steps)];
  return new Promise((resolve, reject) =>
    execFile('/usr/bin/python3', args, { maxBuffer: 1 << 22, timeout: 600_000, env: { ...process.env, PYTHONPATH: 'benchmarks/torch' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`PyTorch profile failed: ${stderr.trim() || err.message}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

const fbnetRounds = [];
const torchRounds = [];
for (let r = 0; r < rounds; r++) {
  fbnetRounds.push(await fbnetRound());
  try {
    torchRounds.push(await torchRound());
  } catch (e) {
    console.error(`round ${r + 1}: ${(e as Error).message}`);
  }
  console.error(`round ${r + 1}/${rounds}: fbnet step ${fbnetRounds[r].phasesMs.step.toFixed(1)} ms${torchRounds[r] ? `, PyTorch ${((torchRounds[r].phasesMs as { step: number }).step).toFixed(1)} ms` : ''}`);
}
const med = (xs: number[]) => (xs.length ? median(xs) : null);
const phaseMedians = (rs: { phasesMs: Record<string, number> }[]) => Object.fromEntries(['forward', 'backward', 'optimizer', 'step'].map((k) => [k, med(rs.map((r) => r.phasesMs[k]))]));
const last = fbnetRounds[fbnetRounds.length - 1];
const out = {
  kind: 'fbnet-profile-step',
  date: new Date().toISOString(),
  arch: values.arch,
  batch,
  threads,
  backend: backend.id,
  plan: backend.plan ? 'device plan' : 'none',
  note: 'phases by wall clock, medians over rounds of per-round medians; fbnet kernels from one tf.profile step per round (the last round listed); PyTorch ops by self CPU time from torch.profiler; rounds alternate fbnet and PyTorch in one run',
  fbnet: {
    phasesMs: phaseMedians(fbnetRounds),
    kernelsPerStep: last.kernelsPerStep,
    kernelMsPerStep: med(fbnetRounds.map((r) => r.kernelMsPerStep)),
    kernelShare: med(fbnetRounds.map((r) => r.kernelShare)),
    overheadMsPerStep: med(fbnetRounds.map((r) => r.overheadMsPerStep)),
    tensorLeak: last.tensorLeak,
    kernels: last.kernels,
  },
  pytorch: torchRounds.length ? { phasesMs: phaseMedians(torchRounds as { phasesMs: Record<string, number> }[]), opsPerStep: torchRounds[0].opsPerStep, ops: torchRounds[torchRounds.length - 1].ops } : null,
  rounds: { fbnet: fbnetRounds.map((r) => r.phasesMs), pytorch: torchRounds.map((r) => r.phasesMs) },
};
const path = values.out ?? `benchmarks/results/profile-step-${backend.id}.json`;
writeJsonAtomic(path, out);
console.log(JSON.stringify({ path, fbnet: out.fbnet.phasesMs, kernelMs: out.fbnet.kernelMsPerStep, overheadMs: out.fbnet.overheadMsPerStep, kernels: out.fbnet.kernelsPerStep, pytorch: out.pytorch?.phasesMs }));
x.dispose();
y.dispose();
opt.dispose();
net.dispose();

#!/usr/bin/env node
// One-command GPU benchmark (issue 14, item 4); `benchmarks/gpu.sh` runs this. Plain Node (no tsx),
// so it runs wherever `node packages/cli/bin/fbnet.js` does. Every measurement is its own
// `fbnet bench … --json` process with a time limit (a Dawn probe or a GPU step that hangs costs
// that step only), and the results are assembled into ONE JSON object: printed as the last
// stdout line and, with --out, written to a file.
//
// usage: node benchmarks/gpu-bench.mjs [--arch FILE] [--batches 1,64,256,1024] [--steps N]
//        [--infer-iters N] [--py PYTHON] [--out FILE] [--time-scale X] [--quick] [--skip wasm,torch,…]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FBNET = join(ROOT, 'packages/cli/bin/fbnet.js');

/** Issue 14's targets, checked where both sides were measured (null: not measured). */
const TARGETS = {
  trainB64VsTorch: 0.2, // webgpu img/s ≥ 0.2× PyTorch CUDA at batch 64
  trainB1024VsTorch: 0.1,
  inferB1VsTorch: 1.5, // webgpu batch-1 latency ≤ 1.5× PyTorch CUDA's
  trainB256VsWasmB64: 5, // webgpu at batch 256 ≥ 5× the wasm plugin on the host CPU (its batch-64 rate)
  fixedStepMs: 10, // per-step fixed cost (intercept of step ms over batch)
};

export function parseArgs(argv) {
  const o = { arch: 'benchmarks/nets/fbnet-bench-28.json', batches: [1, 64, 256, 1024], steps: 10, inferIters: 100, py: undefined, out: undefined, timeScale: 1, skip: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--arch') o.arch = v();
    else if (a === '--batches') o.batches = v().split(',').map(Number);
    else if (a === '--steps') o.steps = Number(v());
    else if (a === '--infer-iters') o.inferIters = Number(v());
    else if (a === '--py') o.py = v();
    else if (a === '--out') o.out = v();
    else if (a === '--time-scale') o.timeScale = Number(v());
    else if (a === '--skip') o.skip = v().split(',');
    else if (a === '--quick') Object.assign(o, { batches: [1, 2], steps: 2, inferIters: 3 });
    else throw new Error(`unknown option ${a} (see the usage line at the top of benchmarks/gpu-bench.mjs)`);
  }
  if (o.batches.some((b) => !(Number.isInteger(b) && b > 0))) throw new Error('--batches takes positive integers, e.g. 1,64,256');
  return o;
}

/** Run a command that prints one JSON line last; {ok, json} or {ok: false, error}. */
function runJson(cmd, args, seconds, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: seconds * 1000, killSignal: 'SIGKILL', env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20 });
  const last = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
  let json;
  try {
    json = JSON.parse(last);
  } catch {
    json = undefined;
  }
  if (r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGKILL') return { ok: false, error: `timed out after ${seconds} s` };
  if (r.status !== 0 || !json || json.error) {
    const why = json?.error?.message ?? (r.error?.message || (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ') || `exit ${r.status}`);
    return { ok: false, error: why };
  }
  return { ok: true, json };
}

/** The adapter Dawn gives the webgpu plugin, in the plugin's order (gpu.ts): default backend, then OpenGL ES. */
const PROBE = `
process.env.EGL_PLATFORM ??= 'surfaceless';
const dawn = await import('webgpu');
Object.assign(globalThis, dawn.globals);
const tries = [['default', [], {}], ['opengles', ['backend=opengles'], { featureLevel: 'compatibility' }]];
const notes = [];
for (const [name, flags, opts] of tries) {
  try {
    const a = await dawn.create(flags).requestAdapter(opts);
    if (!a) { notes.push(name + ': no adapter'); continue; }
    const i = a.info ?? {};
    const keys = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX'];
    console.log(JSON.stringify({ available: true, dawnBackend: name, compatibility: name === 'opengles', vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
      features: [...a.features].sort(), timestampQuery: a.features.has('timestamp-query'), limits: Object.fromEntries(keys.map((k) => [k, a.limits[k]])), notes }));
    process.exit(0);
  } catch (e) { notes.push(name + ': ' + e.message); }
}
console.log(JSON.stringify({ available: false, reason: notes.join('; ') }));
`;

function pythonWithTorch(explicit) {
  for (const py of explicit ? [explicit] : ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch, json; print(json.dumps({"version": torch.__version__, "cuda": torch.cuda.is_available()}))'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) {
      try {
        return { py, ...JSON.parse(r.stdout.trim().split('\n').at(-1)) };
      } catch {
        /* next */
      }
    }
  }
  return undefined;
}

/** Measure everything; returns the parts `assembleGpuReport` takes. */
export function measure(o, log = (m) => process.stderr.write(`${m}\n`)) {
  const t = (s) => Math.round(s * o.timeScale);
  const fbnet = (args, seconds) => runJson(process.execPath, [FBNET, ...args, '--json'], t(seconds));
  const parts = { options: o, adapter: undefined, webgpuTrain: [], webgpuInfer: undefined, wasmTrain: undefined, wasmInfer: undefined, torch: undefined };
  const skip = new Set(o.skip);
  if (!skip.has('webgpu')) {
    log('probing the WebGPU adapter…');
    const p = runJson(process.execPath, ['--input-type=module', '-e', PROBE], t(60));
    parts.adapter = p.ok ? p.json : { available: false, reason: `probe failed: ${p.error}` };
    if (parts.adapter.available) {
      for (const b of o.batches) {
        log(`webgpu train, batch ${b}…`);
        parts.webgpuTrain.push({ batch: b, ...fbnet(['bench', 'train', '--arch', o.arch, '--backend', 'webgpu', '--batch', String(b), '--steps', String(o.steps)], 120 + b / 4) });
      }
      // The same step reading the loss back only every N steps: what the per-step stall costs.
      const rb = o.batches.includes(64) ? 64 : Math.max(...o.batches);
      const n = Math.max(2, Math.min(10, o.steps));
      log(`webgpu train, batch ${rb}, loss read every ${n} steps…`);
      parts.webgpuTrainReadEvery = { batch: rb, readEvery: n, ...fbnet(['bench', 'train', '--arch', o.arch, '--backend', 'webgpu', '--batch', String(rb), '--steps', String(Math.ceil(o.steps / n) * n), '--read-every', String(n)], 120 + rb / 4) };
      log('webgpu infer, batch 1…');
      parts.webgpuInfer = fbnet(['bench', 'infer', '--arch', o.arch, '--backend', 'webgpu', '--batch', '1', '--iterations', String(o.inferIters)], 120);
    }
  }
  if (!skip.has('wasm')) {
    const wb = Math.min(64, Math.max(...o.batches));
    log(`wasm train, batch ${wb} (host CPU)…`);
    parts.wasmTrain = fbnet(['bench', 'train', '--arch', o.arch, '--backend', 'wasm', '--batch', String(wb), '--steps', String(o.steps)], 180);
    log('wasm infer, batch 1…');
    parts.wasmInfer = fbnet(['bench', 'infer', '--arch', o.arch, '--backend', 'wasm', '--batch', '1', '--iterations', String(o.inferIters)], 120);
  }
  if (!skip.has('torch')) {
    const py = pythonWithTorch(o.py);
    if (!py) parts.torch = { available: false, reason: `no python with torch (${o.py ?? 'python3, /usr/bin/python3'})` };
    else if (!py.cuda) parts.torch = { available: false, reason: `torch ${py.version} (${py.py}): torch.cuda.is_available() is False` };
    else {
      log(`PyTorch CUDA (${py.py})…`);
      const r = runJson(py.py, [join(ROOT, 'benchmarks/torch/fbnet_bench_cuda.py'), resolve(ROOT, o.arch), '--train-batches', o.batches.filter((b) => b > 1).join(','), '--steps', String(o.steps), '--infer-iters', String(o.inferIters)], t(300), { cwd: join(ROOT, 'benchmarks/torch') });
      parts.torch = r.ok ? r.json : { available: false, reason: r.error };
    }
  }
  return parts;
}

const trainFigures = (r) => ({
  imagesPerSec: r.imagesPerSec,
  imagesPerSecMedian: r.imagesPerSecMedian,
  stepMsMedian: r.stepMsMedian,
  lossFirst: r.lossFirst,
  tensorLeak: r.tensorLeak,
  ...(r.gpuWork ? { gpuWork: r.gpuWork } : {}),
});
const inferFigures = (r) => ({ latencyMs: r.latencyMs, p10: r.p10, p90: r.p90 });
const orError = (r, f) => (r === undefined ? undefined : r.ok ? f(r.json) : { error: r.error });
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null);

/** Least-squares line of step ms over batch: {fixedMs (intercept), perImageMs (slope)}, or null. */
export function stepCostFit(points) {
  const p = points.filter((q) => Number.isFinite(q.stepMs));
  if (p.length < 2) return null;
  const n = p.length;
  const mx = p.reduce((s, q) => s + q.batch, 0) / n;
  const my = p.reduce((s, q) => s + q.stepMs, 0) / n;
  const sxx = p.reduce((s, q) => s + (q.batch - mx) ** 2, 0);
  if (sxx === 0) return null;
  const slope = p.reduce((s, q) => s + (q.batch - mx) * (q.stepMs - my), 0) / sxx;
  return { fixedMs: my - slope * mx, perImageMs: slope };
}

/** The ONE JSON of a run, from what `measure` returned (pure: tested on its own). */
export function assembleGpuReport(parts, meta = {}) {
  const webgpuTrain = parts.webgpuTrain.map((r) => ({ batch: r.batch, ...(r.ok ? trainFigures(r.json) : { error: r.error }) }));
  const okTrain = parts.webgpuTrain.filter((r) => r.ok);
  const torch = parts.torch;
  const torchTrain = (b) => (torch?.available ? torch.train?.find((x) => x.batch === b) : undefined);
  const wgTrain = (b) => okTrain.find((r) => r.batch === b)?.json;
  const wgInfer = parts.webgpuInfer?.ok ? parts.webgpuInfer.json : undefined;
  const wasm = parts.wasmTrain?.ok ? parts.wasmTrain.json : undefined;
  const fit = stepCostFit(okTrain.map((r) => ({ batch: r.batch, stepMs: r.json.stepMsMedian })));
  const cmp = {
    trainB64VsTorch: ratio(wgTrain(64)?.imagesPerSecMedian, torchTrain(64)?.imagesPerSecMedian),
    trainB1024VsTorch: ratio(wgTrain(1024)?.imagesPerSecMedian, torchTrain(1024)?.imagesPerSecMedian),
    inferB1VsTorch: ratio(wgInfer?.latencyMs, torch?.available ? torch.infer?.latencyMs : undefined),
    trainB256VsWasmB64: ratio(wgTrain(256)?.imagesPerSecMedian, wasm?.imagesPerSecMedian),
    fixedStepMs: fit ? fit.fixedMs : null,
  };
  const targets = Object.fromEntries(
    Object.entries(TARGETS).map(([k, goal]) => {
      const v = cmp[k];
      const lower = k === 'inferB1VsTorch' || k === 'fixedStepMs'; // smaller is better
      return [k, { value: v, target: `${lower ? '≤' : '≥'} ${goal}`, met: v === null ? null : lower ? v <= goal : v >= goal }];
    }),
  );
  const webgpuFingerprint = okTrain[0]?.json.fingerprint ?? (wgInfer ? wgInfer.fingerprint : undefined);
  return {
    kind: 'fbnet-gpu-bench',
    version: 1,
    createdAt: meta.createdAt ?? new Date().toISOString(),
    host: meta.host ?? { cpu: os.cpus()[0]?.model, cores: os.cpus().length, os: `${os.platform()} ${os.release()} ${os.arch()}`, node: process.version },
    arch: parts.options.arch,
    options: { batches: parts.options.batches, steps: parts.options.steps, inferIters: parts.options.inferIters },
    adapter: parts.adapter ?? { available: false, reason: 'skipped' },
    webgpu: {
      backendVersion: webgpuFingerprint?.backendVersion,
      train: webgpuTrain,
      infer: orError(parts.webgpuInfer, inferFigures),
      stepCost: fit,
      // Steps that only queue work: compare its mean imagesPerSec with train's at the same batch.
      trainReadEvery: parts.webgpuTrainReadEvery
        ? { batch: parts.webgpuTrainReadEvery.batch, readEvery: parts.webgpuTrainReadEvery.readEvery, ...(parts.webgpuTrainReadEvery.ok ? trainFigures(parts.webgpuTrainReadEvery.json) : { error: parts.webgpuTrainReadEvery.error }) }
        : undefined,
    },
    wasm: { train: orError(parts.wasmTrain, (r) => ({ batch: r.batch, ...trainFigures(r) })), infer: orError(parts.wasmInfer, inferFigures) },
    torchCuda: torch ?? { available: false, reason: 'skipped' },
    targets,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const report = assembleGpuReport(measure(o));
  const text = JSON.stringify(report);
  if (o.out) writeFileSync(o.out, `${JSON.stringify(report, null, 1)}\n`);
  process.stdout.write(`${text}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stdout.write(`${JSON.stringify({ error: { message: e.message } })}\n`);
    process.exit(1);
  });
}

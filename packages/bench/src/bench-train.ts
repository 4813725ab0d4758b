import { Optimizer } from '@fbnet/train';
import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { Rng, type ArchDef, type BackendPlugin, type DeviceFingerprint, type KernelPlan } from '@fbnet/core';
import { crossEntropy, Net } from '@fbnet/nn';
import type { GpuWorkCounts } from '@fbnet/backend-webgpu';
import { quantile, resetVariantCalls, variantCalls } from './results.ts';
import { loadArch, setupPlugin } from './setup.ts';

export interface BenchTrainOptions {
  /** Arch-def JSON path (or pass `arch`). */
  archPath?: string;
  arch?: ArchDef;
  backend: string | BackendPlugin;
  batch?: number;
  /** Timed steps (after warm-up). */
  steps?: number;
  warmup?: number;
  /** Random pixels (default) or the bundled Fashion-MNIST subset (28×28×1 nets). */
  data?: 'random' | 'fashion-mnist';
  plan?: KernelPlan | string;
  forcePlan?: boolean;
  threads?: number;
  seed?: number;
  lr?: number;
  momentum?: number;
  /**
   * Read the loss back every N steps (default 1: every step, as PyTorch's `loss.item()`); the
   * steps in between only queue their work, so use `imagesPerSec` (the mean), not the median.
   */
  readEvery?: number;
}

export interface BenchTrainResult {
  kind: 'train';
  backend: string;
  arch: string;
  batch: number;
  steps: number;
  data: 'random' | 'fashion-mnist';
  /** batch / mean step time. */
  imagesPerSec: number;
  /** batch / median step time (robust to other load on the machine). */
  imagesPerSecMedian: number;
  stepMsMedian: number;
  stepMsMean: number;
  stepMsP10: number;
  stepMsP90: number;
  lossFirst: number;
  lossLast: number;
  /** Steps per loss read-back (1 unless `readEvery` was given). */
  readEvery: number;
  /** tf.memory().numTensors after the timed steps minus before (0 = no leak). */
  tensorLeak: number;
  /** Plan hash, or 'none' (variants then follow the plugin's default preference order). */
  plan: string;
  fingerprint: DeviceFingerprint;
  variantCalls?: Record<string, Record<string, number>>;
  /**
   * webgpu only: the WebGPU calls of one step, averaged over the timed and warm-up steps
   * (`countGpuWork` of @fbnet/backend-webgpu: submits, read-backs, pipelines, uniform writes…).
   */
  gpuWork?: { steps: number; perStep: GpuWorkCounts };
}

async function batches(def: ArchDef, n: number, data: 'random' | 'fashion-mnist', seed: number): Promise<{ x: tf.Tensor4D; y: tf.Tensor1D }[]> {
  const size = def.input_size;
  const c = def.input_channels;
  if (data === 'fashion-mnist') {
    const { loadFashionMnist } = await import('@fbnet/data');
    const ds = await loadFashionMnist({ split: 'train' });
    const per = ds.height * ds.width * ds.channels;
    const out: { x: tf.Tensor4D; y: tf.Tensor1D }[] = [];
    for (let b = 0; b + n <= Math.min(ds.count, 8 * n); b += n) {
      out.push({
        x: tf.tensor4d(Float32Array.from(ds.images.subarray(b * per, (b + n) * per)), [n, ds.height, ds.width, ds.channels]),
        y: tf.tensor1d(Int32Array.from(ds.labels.subarray(b, b + n)), 'int32'),
      });
    }
    return out;
  }
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * size * size * c }, () => Math.floor(rng.next() * 256));
  const y = Int32Array.from({ length: n }, () => Math.floor(rng.next() * def.num_classes));
  return [{ x: tf.tensor4d(x, [n, size, size, c]), y: tf.tensor1d(y, 'int32') }];
}

/**
 * Training throughput of a net on one plugin: real SGD-momentum steps (forward, cross-entropy,
 * backward, update) timed with tinybench after warm-up; every step waits for the loss value.
 */
export async function benchTrain(o: BenchTrainOptions): Promise<BenchTrainResult> {
  const batch = o.batch ?? 64;
  const steps = o.steps ?? 20;
  const data = o.data ?? 'random';
  const { plugin, fingerprint } = await setupPlugin(o);
  const { def, name } = await loadArch(o.arch, o.archPath);
  const net = new Net(def, { seed: o.seed ?? 0 });
  // The optimizer `fbnet train` uses (PyTorch's SGD with momentum, no weight decay: the yardstick's update).
  const opt = new Optimizer({ kind: 'sgd', momentum: o.momentum ?? 0.9, weightDecay: 0 });
  const lr = o.lr ?? 0.01;
  const feed = await batches(def, batch, data, o.seed ?? 0);
  const vars = net.trainableVariables();
  let i = 0;
  let counted = 0;
  const losses: number[] = [];
  const readEvery = Math.max(1, Math.floor(o.readEvery ?? 1));
  const step = async () => {
    counted++;
    const b = feed[i % feed.length];
    const { value: cost, grads } = tf.variableGrads(() => crossEntropy(net.forward(b.x, { training: true }), b.y), vars);
    opt.apply(vars, grads, lr);
    tf.dispose(Object.values(grads));
    if (++i % readEvery === 0 || i === 1) losses.push((await cost.data())[0]);
    cost.dispose();
  };
  try {
    // Two untimed steps build the optimizer slots and reach its steady form (SGD's first step
    // takes the gradient as the momentum buffer), so the leak check and the GPU counts see steady state.
    await step();
    await step();
    const before = tf.memory().numTensors;
    resetVariantCalls(plugin);
    const gpu = await gpuWorkCounter();
    counted = 0;
    const bench = new Bench({ iterations: steps, time: 0, warmupIterations: o.warmup ?? 3, warmupTime: 0, retainSamples: true, throws: true });
    bench.add('train-step', step);
    try {
      await bench.run();
    } finally {
      gpu?.stop();
    }
    const tensorLeak = tf.memory().numTensors - before;
    const r = bench.tasks[0].result;
    if (r.state !== 'completed') throw new Error(`benchmark did not complete: ${r.state}`);
    const sorted = [...(r.latency.samples ?? [])].sort((a, b) => a - b);
    return {
      kind: 'train',
      backend: plugin.id,
      arch: name,
      batch,
      steps: r.latency.samplesCount,
      data,
      imagesPerSec: (batch * 1000) / r.latency.mean,
      imagesPerSecMedian: (batch * 1000) / r.latency.p50,
      stepMsMedian: r.latency.p50,
      stepMsMean: r.latency.mean,
      stepMsP10: quantile(sorted, 0.1),
      stepMsP90: quantile(sorted, 0.9),
      lossFirst: losses[0],
      lossLast: losses[losses.length - 1],
      readEvery,
      tensorLeak,
      plan: fingerprint.planHash,
      fingerprint,
      variantCalls: variantCalls(plugin),
      ...(gpu ? { gpuWork: { steps: counted, perStep: gpu.perStep(counted) } } : {}),
    };
  } finally {
    for (const b of feed) tf.dispose([b.x, b.y]);
    opt.dispose();
    net.dispose();
  }
}

/**
 * Counts the WebGPU calls when the active TF.js backend is tfjs-backend-webgpu (else undefined);
 * the plugin package is imported only then.
 */
async function gpuWorkCounter(): Promise<{ stop(): void; perStep(steps: number): GpuWorkCounts } | undefined> {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const { isWebgpuBackend, startGpuWorkCounter, perStep } = await import('@fbnet/backend-webgpu');
  if (!isWebgpuBackend(tf.backend())) return undefined;
  const counter = startGpuWorkCounter(tf.backend());
  return { stop: () => counter.stop(), perStep: (n) => perStep(counter.counts(), n) };
}

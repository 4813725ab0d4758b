import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { Rng, type ArchDef, type BackendPlugin, type DeviceFingerprint, type KernelPlan } from '@fbnet/core';
import { Net } from '@fbnet/nn';
import { quantile, resetVariantCalls, variantCalls } from './results.ts';
import { loadArch, setupPlugin } from './setup.ts';

export interface BenchInferOptions {
  archPath?: string;
  arch?: ArchDef;
  backend: string | BackendPlugin;
  /** Default 1 (latency). */
  batch?: number;
  iterations?: number;
  warmup?: number;
  plan?: KernelPlan | string;
  forcePlan?: boolean;
  threads?: number;
  seed?: number;
}

export interface BenchInferResult {
  kind: 'infer';
  backend: string;
  arch: string;
  batch: number;
  iterations: number;
  /** Median of per-call latency (forward + await data()). */
  latencyMs: number;
  p10: number;
  p90: number;
  meanMs: number;
  plan: string;
  fingerprint: DeviceFingerprint;
  variantCalls?: Record<string, Record<string, number>>;
}

/** Inference latency (eval mode, running BN statistics): forward, await the logits, dispose. */
export async function benchInfer(o: BenchInferOptions): Promise<BenchInferResult> {
  const batch = o.batch ?? 1;
  const { plugin, fingerprint } = await setupPlugin(o);
  const { def, name } = await loadArch(o.arch, o.archPath);
  const net = new Net(def, { seed: o.seed ?? 0 });
  const rng = new Rng(o.seed ?? 0);
  const x = tf.tensor4d(Float32Array.from({ length: batch * def.input_size * def.input_size * def.input_channels }, () => Math.floor(rng.next() * 256)), [batch, def.input_size, def.input_size, def.input_channels]);
  try {
    resetVariantCalls(plugin);
    const bench = new Bench({ iterations: o.iterations ?? 200, time: 0, warmupIterations: o.warmup ?? 20, warmupTime: 0, retainSamples: true, throws: true });
    bench.add('infer', async () => {
      const y = net.forward(x, { training: false });
      await y.data();
      y.dispose();
    });
    await bench.run();
    const r = bench.tasks[0].result;
    if (r.state !== 'completed') throw new Error(`benchmark did not complete: ${r.state}`);
    const sorted = [...(r.latency.samples ?? [])].sort((a, b) => a - b);
    return {
      kind: 'infer',
      backend: plugin.id,
      arch: name,
      batch,
      iterations: r.latency.samplesCount,
      latencyMs: r.latency.p50,
      p10: quantile(sorted, 0.1),
      p90: quantile(sorted, 0.9),
      meanMs: r.latency.mean,
      plan: fingerprint.planHash,
      fingerprint,
      variantCalls: variantCalls(plugin),
    };
  } finally {
    x.dispose();
    net.dispose();
  }
}

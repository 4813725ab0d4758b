import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@fbnet/core';
import { loadNative, NATIVE_VARIANT, pendingWriteBackCount, residentCopyCount } from '../native/native-variants.ts';
import type { TfjsBackendPlugin } from '../plugin-base.ts';

/** What a plugin's native results must survive: each read path gives the reference values. */
export interface ResidentCheck {
  name: string;
  /** Values read back through this path, with the native variants installed. */
  got: Float32Array;
  want: Float32Array;
}

function seeded(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/**
 * Native kernels leave their results in the native heap and write them back to the backend
 * only when something else reads them. Checks every way a result can be read — `dataSync()`,
 * `data()`, a stock kernel, a JS kernel reading the backend's storage, a tensor kept past the
 * plugin's `dispose()` — against the same computation on the stock `cpu` backend (computed
 * first, with no plugin installed). Leaves the plugin disposed.
 */
export async function residentWriteBackChecks(plugin: TfjsBackendPlugin): Promise<{ checks: ResidentCheck[]; pendingSeen: number }> {
  const rng = new Rng(17);
  const xs = seeded(rng, 2 * 6 * 6 * 4);
  const fs = seeded(rng, 1 * 1 * 4 * 8);
  const gs = seeded(rng, 1 * 1 * 8 * 4);
  const graph = () => tf.tidy(() => tf.conv2d(tf.tensor4d(xs, [2, 6, 6, 4]), tf.tensor4d(fs, [1, 1, 4, 8]), 1, 'valid'));
  const second = (y: tf.Tensor4D) => tf.tidy(() => tf.relu(tf.conv2d(y, tf.tensor4d(gs, [1, 1, 8, 4]), 1, 'valid')));
  await plugin.dispose();
  await tf.setBackend('cpu');
  const ref = tf.tidy(() => {
    const y = graph();
    const read = (t: tf.Tensor) => t.dataSync().slice() as Float32Array;
    return { y: read(y), plus: read(tf.add(y, 1)), mean: read(tf.mean(y, [1, 2])), relu: read(second(y)) };
  });
  await plugin.init();
  plugin.forceVariant('Conv2D', NATIVE_VARIANT);
  const backend = tf.backend();
  const checks: ResidentCheck[] = [];
  const readDisposing = (t: tf.Tensor) => {
    const v = t.dataSync().slice() as Float32Array;
    t.dispose();
    return v;
  };
  const y = graph();
  const pendingSeen = pendingWriteBackCount(backend);
  checks.push({ name: 'stock kernel (Add) on a pending result', got: readDisposing(tf.add(y, 1)), want: ref.plus });
  const y2 = graph();
  checks.push({ name: 'reduction (Mean) on a pending result', got: readDisposing(tf.mean(y2, [1, 2])), want: ref.mean });
  const y3 = graph();
  checks.push({ name: 'data() of a pending result', got: (await y3.data()) as Float32Array, want: ref.y });
  const y6 = graph();
  checks.push({ name: 'dataSync() of a pending result', got: readDisposing(y6), want: ref.y });
  const y4 = graph();
  checks.push({ name: 'native kernel on a pending result, then a stock one', got: readDisposing(second(y4)), want: ref.relu });
  const y5 = graph();
  plugin.forceVariant('Conv2D', undefined);
  await plugin.dispose();
  checks.push({ name: "a pending result kept past the plugin's dispose()", got: y5.dataSync() as Float32Array, want: ref.y });
  tf.dispose([y, y2, y3, y4, y5]);
  return { checks, pendingSeen };
}

/** Largest |got − want| relative to max(1e-3, max |want|). */
export function maxRelDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1e-3, d = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
  return d / scale;
}

export interface TrainingAgainstStock {
  /** maxRelDiff of every variable after `train` with the plugin vs stock TF.js on `cpu`. */
  diffs: Record<string, number>;
  residentCopies: { before: number; after: number };
  heapBytes: { before: number; after: number };
}

/**
 * `train` (build a net, take a few optimizer steps, return its variables by name) on stock
 * TF.js (`cpu`, no plugin), then with the plugin: a stale resident copy (a tensor read from
 * before an update) would show as diverging weights. Also reports the native heap and the
 * resident copies before and after the plugin's run (after one warm-up run: kernel scratch
 * grows to the largest call once). Leaves the plugin initialised.
 */
export async function trainingAgainstStock(plugin: TfjsBackendPlugin, train: () => Promise<Record<string, Float32Array>>): Promise<TrainingAgainstStock> {
  await plugin.dispose();
  await tf.setBackend('cpu');
  const stock = await train();
  await plugin.init();
  const backend = tf.backend();
  const heap = (await loadNative())!.heap;
  await train();
  const before = { copies: residentCopyCount(backend), bytes: heap.stats().bytesInUse };
  const fast = await train();
  const diffs = Object.fromEntries(Object.keys(stock).map((k) => [k, maxRelDiff(fast[k], stock[k])]));
  return {
    diffs,
    residentCopies: { before: before.copies, after: residentCopyCount(backend) },
    heapBytes: { before: before.bytes, after: heap.stats().bytesInUse },
  };
}

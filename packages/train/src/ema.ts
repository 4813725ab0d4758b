import * as tf from '@tensorflow/tfjs-core';
import { mixCandidates, type ParamStore } from '@fbnet/nn';
import type { TensorMap } from '@fbnet/runs';

/**
 * Exponential moving average of every parameter and BN statistic (as timm's ModelEmaV2):
 * ema = d * ema + (1 - d) * w after each step, with TensorFlow's `num_updates` warm-up
 * d = min(decay, (1 + t) / (10 + t)) at step t (0-based), so the average does not drag the
 * initial weights (and their BN statistics) along for the first ~1/(1-decay) steps — without it a
 * 0.999 average evaluates at chance for the first epochs. `swapIn` puts the averages into the net
 * for evaluation/export; `swapOut` restores the raw weights.
 */
export class WeightEma {
  private readonly shadow = new Map<string, tf.Variable>();
  private saved: Map<string, tf.Tensor> | null = null;

  constructor(private readonly store: ParamStore, readonly decay: number) {
    // Created inside tidy: the clone is released, the variable (not tracked by tidy) stays.
    tf.tidy(() => {
      for (const [name, v] of store.entries()) this.shadow.set(name, tf.variable(tf.clone(v), false));
    });
  }

  /** The decay used at (0-based) step t. */
  decayAt(step: number): number {
    return Math.min(this.decay, (1 + step) / (10 + step));
  }

  /** Fold the current weights into the average after optimizer step `step` (0-based). */
  update(step: number): void {
    const d = this.decayAt(step);
    tf.tidy(() => {
      // d·ema + (1 − d)·w: one mixed-operation kernel per parameter where the backend has it.
      const w = tf.tensor1d([d, 1 - d]);
      for (const [name, v] of this.store.entries()) {
        const s = this.shadow.get(name)!;
        s.assign(mixCandidates([s as tf.Tensor, v], w));
      }
    });
  }

  swapIn(): void {
    if (this.saved) return;
    this.saved = new Map();
    for (const [name, v] of this.store.entries()) {
      this.saved.set(name, tf.clone(v));
      v.assign(this.shadow.get(name)!);
    }
  }

  swapOut(): void {
    if (!this.saved) return;
    for (const [name, v] of this.store.entries()) {
      const t = this.saved.get(name)!;
      v.assign(t);
      t.dispose();
    }
    this.saved = null;
  }

  /** Keep the swapped-in averages as the net's weights (drop the raw ones). */
  commit(): void {
    if (!this.saved) return;
    for (const t of this.saved.values()) t.dispose();
    this.saved = null;
  }

  state(): TensorMap {
    const out: TensorMap = {};
    for (const [name, s] of this.shadow) out[name] = { shape: s.shape.slice(), data: s.dataSync() as Float32Array };
    return out;
  }

  restore(t: TensorMap): void {
    for (const [name, s] of this.shadow) {
      const e = t[name];
      if (e) tf.tidy(() => s.assign(tf.tensor(e.data, s.shape)));
    }
  }

  dispose(): void {
    this.swapOut();
    for (const s of this.shadow.values()) s.dispose();
    this.shadow.clear();
  }
}

import * as tf from '@tensorflow/tfjs-core';
import { FBNET_KERNELS, FbnetError, type OptimizerStepAttrs } from '@fbnet/core';
import type { TensorMap } from '@fbnet/runs';

/**
 * Optimizers with explicit, serializable state and a learning rate passed per step (so
 * schedules and checkpoints are plain data). Weight decay is L2 added to the gradient
 * (PyTorch SGD/Adam semantics) or decoupled (AdamW), applied only to names `decay` selects.
 */
export type OptimizerKind = 'sgd' | 'adam' | 'adamw' | 'rmsprop';

export interface OptimizerConfig {
  kind: OptimizerKind;
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** RMSProp smoothing (alpha). */
  rho?: number;
  weightDecay: number;
}

export class Optimizer {
  private readonly slots = new Map<string, tf.Variable[]>();
  private t = 0;

  constructor(
    readonly config: OptimizerConfig,
    /** Which variables get weight decay (by variable name); default: all. */
    private readonly decay: (v: tf.Variable) => boolean = () => true,
  ) {}

  private slot(v: tf.Variable, n: number): tf.Variable[] {
    let s = this.slots.get(v.name);
    if (!s) {
      // Inside tidy: the zeros are released, the variables (not tracked by tidy) stay; restore() calls this outside apply's tidy.
      s = tf.tidy(() => Array.from({ length: n }, () => tf.variable(tf.zerosLike(v), false)));
      this.slots.set(v.name, s);
    }
    return s;
  }

  /** One update of every variable that has a gradient in `grads` (keyed by variable name). */
  apply(vars: tf.Variable[], grads: tf.NamedTensorMap, lr: number): void {
    this.t++;
    const c = this.config;
    const t = this.t;
    // One FbnetOptimizerStep kernel per variable where the backend has it (the plugins' JS
    // kernel), else the same update composed from stock element-wise ops.
    const fused = !!tf.getKernel(FBNET_KERNELS.OptimizerStep, tf.getBackend());
    tf.tidy(() => {
      for (const v of vars) {
        let g = grads[v.name];
        if (!g) continue;
        const wd = this.decay(v) ? c.weightDecay : 0;
        if (fused) {
          this.fusedStep(v, g, lr, wd);
          continue;
        }
        if (wd > 0 && c.kind !== 'adamw') g = tf.add(g, tf.mul(v, wd));
        switch (c.kind) {
          case 'sgd': {
            const mom = c.momentum ?? 0;
            if (mom === 0) {
              v.assign(tf.sub(v, tf.mul(g, lr)));
              break;
            }
            const [buf] = this.slot(v, 1);
            // PyTorch: buf = mom * buf + g (first step buf = g); nesterov uses g + mom * buf.
            const nb = t === 1 ? g : tf.add(tf.mul(buf, mom), g);
            buf.assign(nb);
            const step = c.nesterov ? tf.add(g, tf.mul(nb, mom)) : nb;
            v.assign(tf.sub(v, tf.mul(step, lr)));
            break;
          }
          case 'adam':
          case 'adamw': {
            const b1 = c.beta1 ?? 0.9, b2 = c.beta2 ?? 0.999, eps = c.epsilon ?? 1e-8;
            const [m, s] = this.slot(v, 2);
            m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
            s.assign(tf.add(tf.mul(s, b2), tf.mul(tf.square(g), 1 - b2)));
            const mhat = tf.div(m, 1 - b1 ** t);
            const shat = tf.div(s, 1 - b2 ** t);
            let nv = tf.sub(v, tf.mul(tf.div(mhat, tf.add(tf.sqrt(shat), eps)), lr));
            if (c.kind === 'adamw' && wd > 0) nv = tf.sub(nv, tf.mul(v, lr * wd));
            v.assign(nv);
            break;
          }
          case 'rmsprop': {
            const rho = c.rho ?? 0.9, eps = c.epsilon ?? 1e-8, mom = c.momentum ?? 0;
            const [sq, buf] = this.slot(v, 2);
            sq.assign(tf.add(tf.mul(sq, rho), tf.mul(tf.square(g), 1 - rho)));
            const upd = tf.div(g, tf.add(tf.sqrt(sq), eps));
            if (mom > 0) {
              buf.assign(tf.add(tf.mul(buf, mom), upd));
              v.assign(tf.sub(v, tf.mul(buf, lr)));
            } else v.assign(tf.sub(v, tf.mul(upd, lr)));
            break;
          }
        }
      }
    });
  }

  private fusedStep(v: tf.Variable, g: tf.Tensor, lr: number, weightDecay: number): void {
    const c = this.config;
    const momentum = c.momentum ?? 0;
    const slots = c.kind === 'sgd' ? (momentum > 0 ? this.slot(v, 1) : []) : this.slot(v, 2);
    const attrs: OptimizerStepAttrs = {
      kind: c.kind, lr, t: this.t, weightDecay, momentum, nesterov: !!c.nesterov,
      beta1: c.beta1 ?? 0.9, beta2: c.beta2 ?? 0.999, epsilon: c.epsilon ?? 1e-8, rho: c.rho ?? 0.9,
    };
    const inputs: tf.NamedTensorMap = { v, g };
    slots.forEach((s, i) => (inputs[`s${i}`] = s));
    const outs = tf.engine().runKernel(FBNET_KERNELS.OptimizerStep, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    v.assign(outs[0]);
    slots.forEach((s, i) => s.assign(outs[i + 1]));
  }

  /** Restore slots; `rename` maps saved variable names to current ones (names are per-process). */
  restore(meta: { t: number; kind: OptimizerKind }, tensors: TensorMap, vars: tf.Variable[], keyOf: (v: tf.Variable) => string): void {
    if (meta.kind !== this.config.kind) throw new FbnetError('CHECKPOINT', `checkpoint optimizer is ${meta.kind}, run uses ${this.config.kind}`);
    this.t = meta.t;
    const n = this.config.kind === 'sgd' ? 1 : 2;
    for (const v of vars) {
      const saved = Array.from({ length: n }, (_, i) => tensors[`${keyOf(v)}#${i}`]);
      if (saved.every((s) => !s)) continue;
      const slots = this.slot(v, n);
      saved.forEach((s, i) => {
        if (!s) throw new FbnetError('CHECKPOINT', `checkpoint lacks optimizer slot ${keyOf(v)}#${i}`);
        tf.tidy(() => slots[i].assign(tf.tensor(s.data, v.shape)));
      });
    }
  }

  /** Slots keyed by a stable name (variable names are per-process). */
  state(vars: tf.Variable[], keyOf: (v: tf.Variable) => string): { meta: { t: number; kind: OptimizerKind }; tensors: TensorMap } {
    const tensors: TensorMap = {};
    for (const v of vars) {
      const s = this.slots.get(v.name);
      if (s) s.forEach((x, i) => (tensors[`${keyOf(v)}#${i}`] = { shape: x.shape.slice(), data: x.dataSync() as Float32Array }));
    }
    return { meta: { t: this.t, kind: this.config.kind }, tensors };
  }

  dispose(): void {
    for (const vs of this.slots.values()) vs.forEach((v) => v.dispose());
    this.slots.clear();
  }
}

/** Cosine annealing from lr0 to lrMin over `total` steps after a linear warm-up of `warmup` steps. */
export function cosineLr(step: number, total: number, lr0: number, warmup = 0, lrMin = 0): number {
  if (step < warmup) return (lr0 * (step + 1)) / warmup;
  const p = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return lrMin + 0.5 * (lr0 - lrMin) * (1 + Math.cos(Math.PI * p));
}

import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, type Rng } from '@fbnet/core';

/** Serialized parameters: name -> shape + values (checkpoints, export). */
export interface ParamSnapshot {
  [name: string]: { shape: number[]; trainable: boolean; data: Float32Array };
}

/**
 * Named parameters of a network. Trainable ones (weights, BN affine) and non-trainable
 * ones (BN running statistics) live in one store, so a checkpoint is one snapshot.
 */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  /** Tensors derived from parameters (e.g. BN folded into convs for inference), freed with the store. */
  private readonly derived = new Map<string, tf.Tensor[]>();

  /** Keep derived tensors under a key, freeing what the key held before. */
  setDerived(key: string, tensors: tf.Tensor[]): void {
    const old = this.derived.get(key);
    if (old) tf.dispose(old.filter((t) => !tensors.includes(t)));
    this.derived.set(key, tensors);
  }

  /** Free every derived tensor (they are rebuilt on demand). */
  clearDerived(): void {
    for (const ts of this.derived.values()) tf.dispose(ts);
    this.derived.clear();
  }

  add(name: string, value: tf.Tensor, trainable = true): tf.Variable {
    if (this.vars.has(name)) {
      value.dispose();
      throw new FbnetError('USAGE', `parameter "${name}" is already defined`);
    }
    const v = tf.variable(value, trainable, `${name}_${nextId++}`);
    value.dispose();
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new FbnetError('USAGE', `unknown parameter "${name}"`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** Trainable variables, optionally restricted to names with a prefix. */
  trainable(prefix?: string): tf.Variable[] {
    return [...this.vars.entries()].filter(([n, v]) => v.trainable && (!prefix || n.startsWith(prefix))).map(([, v]) => v);
  }

  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  /** Number of trainable scalars. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) if (v.trainable) n += v.size;
    return n;
  }

  snapshot(): ParamSnapshot {
    const out: ParamSnapshot = {};
    for (const [name, v] of this.vars) out[name] = { shape: v.shape.slice(), trainable: v.trainable, data: v.dataSync() as Float32Array };
    return out;
  }

  /** Restore values from a snapshot; every parameter must be present with the same shape. */
  restore(s: ParamSnapshot): void {
    for (const [name, v] of this.vars) {
      const e = s[name];
      if (!e) throw new FbnetError('CHECKPOINT', `checkpoint lacks parameter "${name}"`);
      if (e.shape.join(',') !== v.shape.join(',')) {
        throw new FbnetError('CHECKPOINT', `checkpoint parameter "${name}" has shape [${e.shape}], expected [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(e.data, v.shape, 'float32')));
    }
  }

  dispose(): void {
    this.clearDerived();
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let nextId = 0;

/** Kaiming normal, fan_out mode, ReLU gain (mobile-vision's conv init): std = sqrt(2 / fan_out). */
export function kaimingNormalFanOut(rng: Rng, shape: number[], fanOut: number): tf.Tensor {
  const std = Math.sqrt(2 / fanOut);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal() * std;
  return tf.tensor(d, shape, 'float32');
}

/** PyTorch's default conv/linear init (kaiming uniform, a = sqrt 5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function uniformFanIn(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const b = 1 / Math.sqrt(fanIn);
  const n = shape.reduce((a, c) => a * c, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(-b, b);
  return tf.tensor(d, shape, 'float32');
}

export function normalInit(rng: Rng, shape: number[], std: number): tf.Tensor {
  const n = shape.reduce((a, c) => a * c, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal() * std;
  return tf.tensor(d, shape, 'float32');
}

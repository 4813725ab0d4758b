// Gradients are registered as a side effect of importing tfjs-layers (see @fbnet/nn's gradients.ts);
// the predictor trains with tf.variableGrads, so it must not rely on another package having done it.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@fbnet/core';

/** Dense layer parameters, kept by name in the predictor's variable map. */
export interface DenseSpec {
  name: string;
  inputs: number;
  outputs: number;
}

/** He-normal weights (ReLU nets), zero bias; values from the seeded Rng so a seed fixes the init. */
export function createDense(vars: Map<string, tf.Variable>, spec: DenseSpec, rng: Rng, gain = Math.sqrt(2)): void {
  const std = gain / Math.sqrt(spec.inputs);
  const w = new Float32Array(spec.inputs * spec.outputs);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
  // tf.variable keeps its own reference to the data: the initial tensors are released here.
  const wt = tf.tensor2d(w, [spec.inputs, spec.outputs]);
  const bt = tf.zeros([spec.outputs]);
  vars.set(`${spec.name}.w`, tf.variable(wt, true, `${spec.name}.w_${uid++}`));
  vars.set(`${spec.name}.b`, tf.variable(bt, true, `${spec.name}.b_${uid++}`));
  wt.dispose();
  bt.dispose();
}
let uid = 0;

export type Activation = 'relu' | 'tanh' | 'swish' | 'linear';

/** x · W + b, then the activation. */
export function dense(vars: Map<string, tf.Variable>, name: string, x: tf.Tensor2D, act: Activation = 'relu'): tf.Tensor2D {
  const y = tf.add(tf.matMul(x, vars.get(`${name}.w`)! as unknown as tf.Tensor2D), vars.get(`${name}.b`)!) as tf.Tensor2D;
  switch (act) {
    case 'relu':
      return tf.relu(y);
    case 'tanh':
      return tf.tanh(y);
    case 'swish':
      return tf.mul(y, tf.sigmoid(y));
    case 'linear':
      return y;
  }
}

/** Huber loss (FBNetV3 §3.2: robust to outlying accuracies): ½e² for |e| ≤ δ, δ(|e| − ½δ) beyond. */
export function huberLoss(pred: tf.Tensor, target: tf.Tensor, delta: number): tf.Scalar {
  return tf.tidy(() => {
    const e = tf.abs(tf.sub(pred, target));
    const quad = tf.minimum(e, delta);
    return tf.mean(tf.add(tf.mul(tf.square(quad), 0.5), tf.mul(tf.sub(e, quad), delta))) as tf.Scalar;
  });
}

/** Adam (Kingma & Ba) with decoupled weight decay; slots per variable, learning rate per step. */
export class Adam {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;
  constructor(private readonly weightDecay = 0, private readonly b1 = 0.9, private readonly b2 = 0.999, private readonly eps = 1e-8) {}

  step(vars: tf.Variable[], grads: tf.NamedTensorMap, lr: number): void {
    this.t++;
    const t = this.t;
    tf.tidy(() => {
      for (const x of vars) {
        const g = grads[x.name];
        if (!g) continue;
        let m = this.m.get(x.name), v = this.v.get(x.name);
        if (!m || !v) {
          m = tf.variable(tf.zerosLike(x), false);
          v = tf.variable(tf.zerosLike(x), false);
          this.m.set(x.name, m);
          this.v.set(x.name, v);
        }
        m.assign(tf.add(tf.mul(m, this.b1), tf.mul(g, 1 - this.b1)));
        v.assign(tf.add(tf.mul(v, this.b2), tf.mul(tf.square(g), 1 - this.b2)));
        const upd = tf.div(tf.div(m, 1 - this.b1 ** t), tf.add(tf.sqrt(tf.div(v, 1 - this.b2 ** t)), this.eps));
        let nx = tf.sub(x, tf.mul(upd, lr));
        if (this.weightDecay > 0 && x.rank === 2) nx = tf.sub(nx, tf.mul(x, lr * this.weightDecay));
        x.assign(nx);
      }
    });
  }

  dispose(): void {
    for (const s of [...this.m.values(), ...this.v.values()]) s.dispose();
    this.m.clear();
    this.v.clear();
  }
}

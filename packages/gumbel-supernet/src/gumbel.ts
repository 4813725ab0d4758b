import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, type Rng } from '@fbnet/core';

/** Identity forward, zero gradient (TF.js has no stop_gradient). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((a: tf.Tensor) => ({ value: tf.clone(a), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/**
 * Gumbel-softmax (FBNet eq. 8): m_i = exp((θ_i + g_i)/τ) / Σ_j exp((θ_j + g_j)/τ), g ~ Gumbel(0,1).
 * `hard` gives the straight-through estimator: the forward value is one-hot at argmax m, the
 * gradient is that of the soft m.
 */
export function gumbelSoftmax(theta: tf.Tensor1D, noise: ArrayLike<number>, tau: number, hard = false): tf.Tensor1D {
  return tf.tidy(() => {
    const g = tf.tensor1d(Array.from(noise));
    const m = tf.softmax(tf.div(tf.add(theta, g), tau)) as tf.Tensor1D;
    if (!hard) return m;
    const k = m.shape[0];
    // The argmax stays on the device: a read-back here would stall every step on a GPU backend.
    const oneHot = tf.cast(tf.reshape(tf.oneHot(tf.reshape(tf.argMax(m), [1]) as tf.Tensor1D, k), [k]), 'float32') as tf.Tensor1D;
    return tf.add(m, stopGradient(tf.sub(oneHot, m))) as tf.Tensor1D;
  });
}

/** Temperature schedule: τ_e = τ0 · exp(-decay · e) (FBNet: τ0 = 5, decay 0.045 per epoch). */
export function temperatureAt(epoch: number, tau0: number, decay: number): number {
  return tau0 * Math.exp(-decay * epoch);
}

/**
 * The per-epoch decay that takes τ from `tau0` at epoch 0 to `tauEnd` at the last of `epochs`
 * epochs; `fallback` when no end temperature is asked for.
 */
export function temperatureDecay(epochs: number, tau0: number, tauEnd: number | undefined, fallback: number): number {
  if (tauEnd === undefined) return fallback;
  if (!(tauEnd > 0) || !(tau0 > 0)) throw new FbnetError('USAGE', `temperatures must be positive, got tau0 ${tau0}, tauEnd ${tauEnd}`);
  return epochs > 1 ? Math.log(tau0 / tauEnd) / (epochs - 1) : 0;
}

/** P_θ per layer (eq. 4): softmax of θ, in float64. */
export function thetaProbs(theta: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < theta.length; i++) max = Math.max(max, theta[i]);
  const e = Array.from(theta, (t) => Math.exp(t - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Sample one candidate per layer from P_θ (eq. 6); returns the choice and its probability. */
export function sampleFromTheta(thetas: ArrayLike<number>[], rng: Rng): { ops: number[]; probability: number } {
  let p = 1;
  const ops = thetas.map((t) => {
    const probs = thetaProbs(t);
    const i = rng.categorical(probs);
    p *= probs[i];
    return i;
  });
  return { ops, probability: p };
}

/** The most likely architecture: argmax θ per layer. */
export function argmaxTheta(thetas: ArrayLike<number>[]): { ops: number[]; probability: number } {
  let p = 1;
  const ops = thetas.map((t) => {
    const probs = thetaProbs(t);
    let best = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
    p *= probs[best];
    return best;
  });
  return { ops, probability: p };
}

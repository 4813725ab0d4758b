import * as tf from '@tensorflow/tfjs-core';
import { FbnetError } from '@fbnet/core';

export interface LatencyLossOptions {
  alpha: number;
  beta: number;
  /**
   * A lower bound of LAT known on the host (in the loss's unit), checked once here instead of
   * reading LAT back from the device: V1's expected latency is a convex mix of candidate
   * latencies, so it is never below the fastest arch's.
   */
  minLatency?: number;
}

/**
 * FBNet's latency-aware loss (eq. 2): L = CE · α · (log LAT)^β.
 *
 * Not `α · β · log LAT` (= α · log(LAT^β)), the form widely copied from a popular
 * re-implementation: that makes β a second overall scale instead of the exponent that
 * flattens the latency term. LAT must be > 1 in the unit used, or log LAT ≤ 0 and the
 * fractional power is undefined.
 *
 * Nothing is read back from the device (a synchronous read stalls a GPU backend, and
 * tfjs-backend-webgpu cannot read synchronously in Node at all): `minLatency` is checked on the
 * host, and a LAT ≤ 1 that slips past it makes the loss NaN, which the training loop's
 * finiteness check reports.
 */
export function latencyAwareLoss(ce: tf.Scalar, lat: tf.Scalar, o: LatencyLossOptions): tf.Scalar {
  if (o.minLatency !== undefined) checkLatencyTerm(o.minLatency);
  return tf.tidy(() => {
    const loss = tf.mul(tf.mul(ce, o.alpha), tf.pow(tf.log(lat), o.beta));
    // ÷ [LAT > 1]: the loss itself where LAT > 1, else non-finite. Built from Sign and Relu, whose
    // gradients TF.js has (comparisons have none, and LAT is on the gradient's path).
    return tf.div(loss, tf.relu(tf.sign(tf.sub(lat, 1)))) as tf.Scalar;
  });
}

/** Throws the error eq. 2 needs when the latency term can reach 1 or less. */
export function checkLatencyTerm(minLatency: number): void {
  if (!(minLatency > 1)) {
    throw new FbnetError('NUMERIC', `latency term is ${minLatency} (in the loss's latency unit); eq. 2 needs LAT > 1 so that log(LAT)^β is defined — use a smaller latency unit (e.g. "us")`);
  }
}

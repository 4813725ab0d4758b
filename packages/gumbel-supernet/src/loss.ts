import * as tf from '@tensorflow/tfjs-core';
import { FbnetError } from '@fbnet/core';

export interface LatencyLossOptions {
  alpha: number;
  beta: number;
}

/**
 * FBNet's latency-aware loss (eq. 2): L = CE · α · (log LAT)^β.
 *
 * Not `α · β · log LAT` (= α · log(LAT^β)), the form widely copied from a popular
 * re-implementation: that makes β a second overall scale instead of the exponent that
 * flattens the latency term. LAT must be > 1 in the unit used, or log LAT ≤ 0 and the
 * fractional power is undefined.
 */
export function latencyAwareLoss(ce: tf.Scalar, lat: tf.Scalar, o: LatencyLossOptions): tf.Scalar {
  return tf.tidy(() => {
    const l = lat.dataSync()[0];
    if (!(l > 1)) {
      throw new FbnetError('NUMERIC', `latency term is ${l} (in the loss's latency unit); eq. 2 needs LAT > 1 so that log(LAT)^β is defined — use a smaller latency unit (e.g. "us")`);
    }
    return tf.mul(tf.mul(ce, o.alpha), tf.pow(tf.log(lat), o.beta)) as tf.Scalar;
  });
}

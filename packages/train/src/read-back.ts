import * as tf from '@tensorflow/tfjs-core';

/**
 * Read every variable's value asynchronously, so that the synchronous snapshots a checkpoint or
 * an export takes next (`dataSync` of parameters, optimizer slots, EMA shadows, θ) find them on
 * the host. A GPU backend stalls on a synchronous read, and tfjs-backend-webgpu cannot read
 * synchronously in Node at all (its `readSync` needs an `OffscreenCanvas`); on the CPU backends
 * this costs nothing.
 */
export async function readVariables(): Promise<void> {
  await Promise.all(Object.values(tf.engine().registeredVariables).map((v) => v.data()));
}

/**
 * `countCorrect` of @fbnet/nn left on the device (an int32 scalar), to be read asynchronously
 * together with the loss: one read-back per step instead of two synchronous ones.
 */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'int32')));
}

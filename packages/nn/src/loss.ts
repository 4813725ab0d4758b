import './gradients.ts';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Softmax cross-entropy averaged over the batch, from integer labels, with optional label
 * smoothing (targets (1-ε)·onehot + ε/K, as PyTorch's `label_smoothing`).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    let target = tf.cast(tf.oneHot(tf.cast(labels, "int32"), k), "float32") as tf.Tensor2D;
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / k) as tf.Tensor2D;
    return softCrossEntropy(logits, target);
  });
}

/** Cross-entropy against soft targets (mixup, label smoothing): mean over the batch of -Σ t·log softmax(z). */
export function softCrossEntropy(logits: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/** Number of correct top-1 predictions. */
export function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): number {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'int32')).dataSync()[0]);
}

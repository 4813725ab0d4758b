import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from '@fbnet/core';

/** h-sigmoid as PyTorch / mobile-vision: relu6(x + 3) / 6. */
export function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6));
}

/** h-swish (MobileNetV3): x * relu6(x + 3) / 6. */
export function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, hardSigmoid(x)));
}

export function activate<T extends tf.Tensor>(x: T, act: Activation | 'relu6' | 'sigmoid' | 'hsigmoid'): T {
  switch (act) {
    case 'none':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'hswish':
      return hardSwish(x) as T;
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hsigmoid':
      return hardSigmoid(x) as T;
  }
}

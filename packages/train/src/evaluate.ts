import * as tf from '@tensorflow/tfjs-core';
import { BatchIterator, type ImageDataset } from '@fbnet/data';
import { crossEntropy, type Net } from '@fbnet/nn';
import { correctCount } from './read-back.ts';

export interface EvalResult {
  accuracy: number;
  loss: number;
  count: number;
}

/** Top-1 accuracy and mean cross-entropy in eval mode (BN running statistics), in data set order. */
export async function evaluate(net: Net, ds: ImageDataset, batchSize = 256): Promise<EvalResult> {
  return (await evaluateUnlessAborted(net, ds, undefined, batchSize))!;
}

/** `evaluate`, stopping before the next batch once `signal` aborts (then undefined). */
export async function evaluateUnlessAborted(net: Net, ds: ImageDataset, signal: AbortSignal | undefined, batchSize = 256): Promise<EvalResult | undefined> {
  const it = new BatchIterator(ds, { batchSize: Math.min(batchSize, ds.count), seed: 0, shuffle: false, normalization: { kind: 'raw' } });
  const [h, w, c] = net.inputShape;
  let correct = 0;
  let lossSum = 0;
  try {
    for (let b = 0; b < it.batchesPerEpoch; b++) {
      if (signal?.aborted) return undefined;
      const batch = it.next();
      const packed = tf.tidy(() => {
        const x = tf.tensor4d(batch.x, [batch.size, h, w, c]);
        const y = tf.tensor1d(batch.y, 'int32');
        const logits = net.forward(x, { training: false });
        return tf.stack([tf.cast(correctCount(logits, y), 'float32'), crossEntropy(logits, y)]);
      });
      const [n, l] = await packed.data(); // one asynchronous read per batch (GPU backends cannot stall-read everywhere)
      packed.dispose();
      correct += n;
      lossSum += l * batch.size;
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    // Folded-BN inference weights are rebuilt on the next evaluation (the weights will have moved).
    net.releaseInferenceCache();
  }
  return { accuracy: correct / ds.count, loss: lossSum / ds.count, count: ds.count };
}

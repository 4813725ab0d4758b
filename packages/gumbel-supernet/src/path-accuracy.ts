import * as tf from '@tensorflow/tfjs-core';
import { BatchIterator, type ImageDataset } from '@fbnet/data';
import { correctCount } from '@fbnet/train';
import { withPathBnStats, type ForwardContext, type ParamStore } from '@fbnet/nn';

export interface PathAccuracyOptions {
  /** The supernet's parameters (its BN statistics are re-estimated for the path, then restored). */
  store: ParamStore;
  /** Logits of the path (one fixed choice) for a batch. */
  logits(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D;
  inputShape: [number, number, number];
  /** Batches for the BN re-estimation passes (raw pixels). */
  bnBatches: BatchIterator;
  passes: number;
  /** Scored in order, every image once. */
  evalData: ImageDataset;
}

/**
 * Accuracy of one path of a weight-sharing supernet (V1 or V2) with its own BN statistics:
 * `passes` batches re-estimate them (withPathBnStats), `evalData` is scored, the supernet's
 * statistics are restored.
 */
export async function pathAccuracy(o: PathAccuracyOptions): Promise<number> {
  const [h, w, c] = o.inputShape;
  const x = (b: { x: Float32Array; size: number }) => tf.tensor4d(b.x, [b.size, h, w, c]);
  const bnPass = (_: number, bnMomentum: number) => {
    const b = o.bnBatches.next();
    tf.tidy(() => void o.logits(x(b), { training: true, bnMomentum }));
  };
  return withPathBnStats(o.store, o.passes, bnPass, async () => {
    let correct = 0, count = 0;
    const it = new BatchIterator(o.evalData, { batchSize: Math.min(256, o.evalData.count), seed: 0, shuffle: false, normalization: { kind: 'raw' } });
    for (let i = 0; i < it.batchesPerEpoch; i++) {
      const b = it.next();
      const n = tf.tidy(() => correctCount(o.logits(x(b), { training: false }), tf.tensor1d(b.y, 'int32')));
      correct += (await n.data())[0];
      n.dispose();
      count += b.size;
      await new Promise((res) => setImmediate(res));
    }
    return correct / Math.max(count, 1);
  });
}


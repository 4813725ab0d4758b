import { FbnetError, Rng, type RngState } from '@fbnet/core';
import { imageSize, type ImageDataset } from './dataset.ts';
import { pixelTable, type Normalization } from './normalization.ts';
import { parseBatchPosition, type BatchPosition } from './batch-position.ts';

/** One mini-batch: `x` is NHWC float32 (size×H×W×C), `y` the class indices. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  size: number;
  /** Epoch and batch index within it, counted from 0. */
  epoch: number;
  index: number;
  /** Which samples of the data set the batch holds, in batch order. */
  indices: Int32Array;
}

export interface BatchIteratorOptions {
  batchSize: number;
  seed: number;
  /** Pixel mapping; `{ kind: 'raw' }` keeps 0..255 values. */
  normalization: Normalization;
  /** Reshuffle every epoch (default true); false keeps data set order. */
  shuffle?: boolean;
  /** Skip the last, smaller batch of an epoch (default false). */
  dropLast?: boolean;
  /** Resume from a saved `position()` (validated). */
  position?: unknown;
}

/**
 * Seeded, resumable mini-batches over an ImageDataset. Each epoch is a fresh permutation drawn
 * from one Rng stream, so the same seed gives the same order and `position()` taken at any
 * point, passed back as `options.position`, continues with exactly the batches that would
 * have followed.
 */
export class BatchIterator {
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly batchesPerEpoch: number;
  private readonly table: Float32Array;
  private readonly rng: Rng;
  private epoch = 0;
  private batch = 0;
  private epochRngState!: RngState;
  private order!: Int32Array;

  constructor(
    private readonly ds: ImageDataset,
    options: BatchIteratorOptions,
  ) {
    const { batchSize, seed } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new FbnetError('USAGE', `BatchIterator: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(seed)) throw new FbnetError('USAGE', `BatchIterator: seed must be an integer, got ${seed}`);
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.batchesPerEpoch = this.dropLast ? Math.floor(ds.count / batchSize) : Math.ceil(ds.count / batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new FbnetError('USAGE', `BatchIterator: ${ds.count} sample(s) make no batch of ${batchSize}${this.dropLast ? ' with dropLast' : ''}`);
    }
    this.table = pixelTable(options.normalization);

    if (options.position === undefined) {
      this.rng = new Rng(seed);
      this.startEpoch(0);
    } else {
      const p = this.checkPosition(parseBatchPosition(options.position));
      this.rng = Rng.fromState(p.epochRngState);
      this.startEpoch(p.epoch);
      this.batch = p.batch;
    }
  }

  private checkPosition(p: BatchPosition): BatchPosition {
    const mine = { seed: this.seed, count: this.ds.count, batchSize: this.batchSize, shuffle: this.shuffle, dropLast: this.dropLast };
    for (const [k, v] of Object.entries(mine)) {
      const saved = p[k as keyof typeof mine];
      if (saved !== v) throw new FbnetError('CHECKPOINT', `batch position: ${k} was ${saved} when saved, is ${v} now`);
    }
    if (p.batch >= this.batchesPerEpoch) {
      throw new FbnetError('CHECKPOINT', `batch position: batch ${p.batch} is past the ${this.batchesPerEpoch} batch(es) of an epoch`);
    }
    return p;
  }

  private startEpoch(epoch: number): void {
    this.epoch = epoch;
    this.batch = 0;
    this.epochRngState = this.rng.state();
    if (this.shuffle) {
      this.order = this.rng.permutation(this.ds.count);
    } else {
      this.order = new Int32Array(this.ds.count);
      for (let i = 0; i < this.order.length; i++) this.order[i] = i;
    }
  }

  /** Where the iterator stands: plain JSON to store in a checkpoint. */
  position(): BatchPosition {
    return {
      version: 1,
      seed: this.seed,
      count: this.ds.count,
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      dropLast: this.dropLast,
      epoch: this.epoch,
      batch: this.batch,
      epochRngState: [...this.epochRngState],
    };
  }

  /** The next batch; runs across epoch boundaries without end. */
  next(): Batch {
    const start = this.batch * this.batchSize;
    const indices = this.order.slice(start, Math.min(start + this.batchSize, this.ds.count));
    const size = indices.length;
    const px = imageSize(this.ds);
    const x = new Float32Array(size * px);
    const y = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const j = indices[i];
      const src = this.ds.images.subarray(j * px, (j + 1) * px);
      for (let k = 0, o = i * px; k < px; k++, o++) x[o] = this.table[src[k]];
      y[i] = this.ds.labels[j];
    }
    const out: Batch = { x, y, size, epoch: this.epoch, index: this.batch, indices };
    if (++this.batch === this.batchesPerEpoch) this.startEpoch(this.epoch + 1);
    return out;
  }

  /** The remaining batches of the current epoch. */
  *epochBatches(): Generator<Batch, void, undefined> {
    const epoch = this.epoch;
    while (this.epoch === epoch) yield this.next();
  }

  /**
   * A stream for augmenting one batch, fixed by (seed, epoch, batch index, label) rather than
   * by history, so a resumed run augments each batch exactly as the uninterrupted run did.
   */
  batchRng(batch: Pick<Batch, 'epoch' | 'index'>, label = 'augment'): Rng {
    return new Rng(this.seed).fork(`batch/${batch.epoch}/${batch.index}/${label}`);
  }
}

import * as tf from '@tensorflow/tfjs-core';
import { Rng, type ArchDef } from '@fbnet/core';
import { BlockModule, Net, ParamStore } from '@fbnet/nn';
import { blockOutputShape, type EntryConfig } from './block-key.ts';
import { makeEntry, type LutEntry, type LutTiming } from './schema.ts';
import { timeForward } from './timing.ts';

/** A net that is only its input normalisation and head: `Net.normalize` and `Net.classify` time the fixed ends. */
function endsNet(h: number, c: number, numClasses: number, seed: number): Net {
  const def: ArchDef = { input_size: h, input_channels: c, num_classes: numClasses, basic_args: { width_divisor: 1 }, blocks: [[['skip', c, 1, 1]]] };
  return new Net(def, { seed });
}

/**
 * Time one entry on the active TF.js backend: the block (or input normalisation, or head)
 * exactly as `@fbnet/nn` runs it inside a `Net` in eval mode, on a random batch-1 input.
 * Every tensor it creates is disposed before it returns or throws.
 */
export async function measureEntry(config: EntryConfig, timing: LutTiming, options: { signal?: AbortSignal; seed?: number } = {}): Promise<LutEntry> {
  const seed = options.seed ?? 0;
  const [h, w, c] = config.input;
  const x = tf.tidy(() => tf.randomUniform([1, h, w, c], config.kind === 'input' ? 0 : -1, config.kind === 'input' ? 255 : 1, 'float32', seed)) as tf.Tensor4D;
  let store: ParamStore | undefined;
  let net: Net | undefined;
  try {
    let forward: () => tf.Tensor;
    if (config.kind === 'block') {
      store = new ParamStore();
      const block = new BlockModule(config.spec, 'lut', store, new Rng(seed));
      forward = () => block.forward(x, { training: false });
    } else if (config.kind === 'input') {
      const n = (net = endsNet(h, c, 1, seed));
      forward = () => n.normalize(x);
    } else {
      const n = (net = endsNet(1, c, config.numClasses, seed));
      // Net.features pools and flattens exactly so before Net.classify.
      forward = () => tf.tidy(() => n.classify(tf.reshape(tf.mean(x, [1, 2]), [1, c]) as tf.Tensor2D, { training: false }));
    }
    const stats = await timeForward(forward, { timing, signal: options.signal, subtractSync: true, keep: [x] });
    return makeEntry(config, config.kind === 'block' ? blockOutputShape(config.spec, config.input) : undefined, stats);
  } finally {
    x.dispose();
    store?.dispose();
    net?.dispose();
  }
}

/** End-to-end latency of a whole net at batch 1, same timing method, nothing subtracted (a deployed net pays its read-back). */
export async function measureNet(arch: unknown, timing: LutTiming, options: { signal?: AbortSignal; seed?: number } = {}) {
  const net = new Net(arch as ArchDef, { seed: options.seed ?? 0 });
  const x = tf.tidy(() => tf.randomUniform([1, ...net.inputShape], 0, 255, 'float32', options.seed ?? 0)) as tf.Tensor4D;
  try {
    return await timeForward(() => net.forward(x), { timing, signal: options.signal, subtractSync: false });
  } finally {
    x.dispose();
    net.dispose();
  }
}

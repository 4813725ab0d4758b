/** Dev probe: one supernet step of a preset space on a backend plugin (tsx scripts/step-time.ts wasm|cpu [space]). */
import * as tf from '@tensorflow/tfjs-core';
import { getSearchSpacePreset, Rng } from '@fbnet/core';
import { crossEntropy } from '@fbnet/nn';
import { DMaskingSupernet } from '../src/index.ts';

const id = process.argv[2] ?? 'wasm';
const plugin = id === 'wasm' ? (await import('@fbnet/backend-wasm')).createWasmPlugin() : (await import('@fbnet/backend-cpu')).createCpuPlugin();
tf.env().set('PROD', true);
await plugin.init({});
const sn = new DMaskingSupernet(getSearchSpacePreset(process.argv[3] ?? 'fbnet-v2-fmnist'), { mean: [0.5], std: [0.5] }, 1);
const bs = Number(process.argv[4] ?? 32);
const x = tf.randomUniform([bs, 28, 28, 1], 0, 255) as tf.Tensor4D;
const y = tf.tensor1d(Array.from({ length: bs }, (_, i) => i % 10), 'int32');
const rng = new Rng(1);
const vars = sn.weightVariables();
const step = () => tf.tidy(() => {
  const { value, grads } = tf.variableGrads(() => {
    const f = sn.forward(x, { kind: 'gumbel', tau: 5, noise: sn.sampleNoise(rng) }, { training: true });
    return crossEntropy(f.logits, y);
  }, vars);
  value.dataSync();
  void grads;
});
step();
const t = Date.now();
for (let i = 0; i < 3; i++) step();
console.log(`${id}: ${tf.getBackend()} step ${((Date.now() - t) / 3).toFixed(0)} ms at batch ${bs}; params ${sn.store.count()}`);

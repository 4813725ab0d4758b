import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { compileFoldPlan, foldStep, type FoldMode } from './fold.ts';
import { addMaskedShortcut } from './masked-shortcut.ts';

// The host kernels work on views of the wasm heap there (outputs allocated first, views after):
// the same values and gradients as on the cpu backend. (The supernet end to end runs on wasm with
// the fbnet plugin, which adds the conv gradients stock tfjs-wasm lacks: benchmarks/dmasking-profile.ts.)
beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  await tf.setBackend('cpu');
});

/** Run `f` on a backend; plain numbers out. */
async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  try {
    const before = tf.memory().numTensors;
    const out = f();
    expect(tf.memory().numTensors, `${backend}: tensors left`).toBe(before);
    return out;
  } finally {
    await tf.setBackend('cpu');
  }
}

function expectClose(a: number[], b: number[], tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol * (1 + Math.abs(b[i])));
}

describe('host kernels on the wasm backend', () => {
  it('foldStep and addMaskedShortcut: values and gradients as on cpu', async () => {
    const plan = compileFoldPlan({
      keys: ['a', 'b'],
      sizes: [3, 4],
      tables: [
        { keys: ['a', 'b'], dims: [3, 4], widths: [0, 3, 6, 9, 1, 1, 7, 8, 4, 0, 12, 2], k: 8 },
        { keys: ['b'], dims: [4], widths: [2, 4, 5, 6], k: 6 },
      ],
      outputs: [1],
      folds: [
        { table: 0, shape: [1, 1, 8, 5], axis: 2 },
        { table: 1, shape: [6], axis: 0 },
      ],
    });
    const rng = new Rng(4);
    const data = (n: number) => Array.from({ length: n }, () => rng.normal());
    const [t0, t1, p0, p1, c0, c1, c2, c3, c4, y, x, r] = [3, 4, 40, 6, 3, 4, 6, 40, 6, 2 * 3 * 3 * 6, 2 * 3 * 3 * 4, 6].map(data);
    const noise = Float32Array.from(data(7));
    const mode: FoldMode = { kind: 'gumbel', tau: 1.3, noise };
    const run = () =>
      tf.tidy(() => {
        const ins = [tf.tensor1d(t0), tf.tensor1d(t1), tf.tensor(p0, [1, 1, 8, 5]), tf.tensor1d(p1), tf.tensor(y, [2, 3, 3, 6]), tf.tensor(x, [2, 3, 3, 4]), tf.tensor1d(r)];
        const coef = [c0, c1, c2, c3, c4].map((c) => tf.tensor1d(c));
        const f = (...a: tf.Tensor[]) => {
          const o = foldStep(plan, mode, [a[0], a[1]] as tf.Tensor1D[], [a[2], a[3]]);
          const terms = [...o.weights, ...o.masks, ...o.folded].map((t, i) => tf.sum(tf.mul(tf.reshape(t, [-1]), coef[i])));
          return tf.addN([...terms, tf.sum(tf.square(addMaskedShortcut(a[4] as tf.Tensor4D, a[5] as tf.Tensor4D, a[6] as tf.Tensor1D)))]) as tf.Scalar;
        };
        const { value, grads } = tf.valueAndGrads(f)(ins);
        return [value.dataSync()[0], ...grads.flatMap((g) => Array.from(g.dataSync()))];
      });
    expectClose(await on('wasm', run), await on('cpu', run), 1e-5);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@fbnet/core';
import { gumbelSoftmax } from '@fbnet/gumbel-supernet';
import { compileFoldPlan, foldStep, type FoldMode, type FoldPlanSpec } from './fold.ts';
import { DMASKING_KERNELS } from './kernel-names.ts';
import { tableMask } from './masks.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

// Three choices; tables over one, two and three of them (widths of 0 and above k included).
const SPEC: FoldPlanSpec = {
  keys: ['a', 'b', 'c'],
  sizes: [3, 4, 2],
  tables: [
    { keys: ['a'], dims: [3], widths: [2, 5, 8], k: 8 },
    { keys: ['a', 'b'], dims: [3, 4], widths: [0, 3, 6, 9, 1, 1, 7, 8, 4, 0, 12, 2], k: 8 },
    { keys: ['b', 'c', 'a'], dims: [4, 2, 3], widths: Array.from({ length: 24 }, (_, i) => (i * 7) % 11), k: 10 },
    { keys: ['c'], dims: [2], widths: [3, 6], k: 6 },
  ],
  outputs: [0, 2],
  folds: [
    { table: 1, shape: [1, 1, 8, 5], axis: 2 }, // a filter's input channels
    { table: 3, shape: [6], axis: 0 }, // BN affine parameters
    { table: 3, shape: [6], axis: 0 },
    { table: 2, shape: [2, 10, 3], axis: 1 }, // an inner axis
  ],
};
const PLAN = compileFoldPlan(SPEC);

function rand(rng: Rng, shape: readonly number[], scale = 1): tf.Tensor {
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()), [...shape]);
}

/** The same function composed of tfjs ops: Gumbel-softmax per choice, `tableMask` per table, a broadcast multiply per fold. */
function reference(mode: FoldMode, thetas: tf.Tensor1D[], params: tf.Tensor[]) {
  const weights = SPEC.keys.map((_, c) => {
    if (mode.kind === 'given') return tf.tensor1d(mode.weights.slice(PLAN.offsets[c], PLAN.offsets[c] + SPEC.sizes[c]));
    const noise = mode.noise ? mode.noise.slice(PLAN.offsets[c], PLAN.offsets[c] + SPEC.sizes[c]) : new Float32Array(SPEC.sizes[c]);
    return gumbelSoftmax(thetas[c], noise, mode.tau, mode.hard);
  });
  const of = (k: string) => weights[SPEC.keys.indexOf(k)];
  const masks = SPEC.tables.map((t) => tableMask(t, of));
  const folded = SPEC.folds.map((f, i) => tf.mul(params[i], tf.reshape(masks[f.table], f.shape.map((s, a) => (a === f.axis ? s : 1)))));
  return { weights, masks: SPEC.outputs.map((t) => masks[t]), folded };
}

type Outputs = { weights: tf.Tensor[]; masks: tf.Tensor[]; folded: tf.Tensor[] };
/** A scalar of every output (random coefficients). */
function scalarOf(o: Outputs, coef: tf.Tensor[]): tf.Scalar {
  return tf.addN([...o.weights, ...o.masks, ...o.folded].map((t, i) => tf.sum(tf.mul(t, coef[i])))) as tf.Scalar;
}

function setup(seed: number) {
  const rng = new Rng(seed);
  const thetas = SPEC.sizes.map((n) => rand(rng, [n]) as tf.Tensor1D);
  const params = SPEC.folds.map((f) => rand(rng, f.shape));
  const coef = [...SPEC.sizes.map((n) => [n]), ...SPEC.outputs.map((t) => [SPEC.tables[t].k]), ...SPEC.folds.map((f) => f.shape)].map((s) => rand(rng, s));
  const noise = Float32Array.from({ length: PLAN.total }, () => -Math.log(-Math.log(0.05 + 0.9 * rng.next())));
  return { thetas, params, coef, noise };
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol * (1 + Math.abs(b[i])));
}

describe('foldStep (a step\'s Gumbel weights, masks and masked parameters in one op)', () => {
  const nrng = new Rng(99);
  const noise = Float32Array.from({ length: PLAN.total }, () => -Math.log(-Math.log(0.05 + 0.9 * nrng.next())));
  const modes: [string, FoldMode][] = [
    ['Gumbel-softmax', { kind: 'gumbel', tau: 1.7, noise }],
    ['straight-through (hard) Gumbel', { kind: 'gumbel', tau: 0.8, noise, hard: true }],
    ['softmax(θ/τ) (no noise)', { kind: 'gumbel', tau: 2 }],
    ['given weights', { kind: 'given', weights: Float32Array.from({ length: PLAN.total }, (_, i) => 0.1 + ((i * 37) % 11) / 10) }],
  ];

  for (const [name, mode] of modes) {
    it(`${name}: the values and gradients of the tfjs composition (gumbelSoftmax, tableMask, multiply), one kernel each way`, async () => {
      const { thetas, params, coef } = setup(3);
      const xs = [...(mode.kind === 'gumbel' ? thetas : []), ...params];
      const split = (args: tf.Tensor[]) => (mode.kind === 'gumbel' ? [args.slice(0, thetas.length), args.slice(thetas.length)] : [thetas, args]) as [tf.Tensor1D[], tf.Tensor[]];
      const fused = (...args: tf.Tensor[]) => scalarOf(foldStep(PLAN, mode, ...split(args)), coef);
      const ref = (...args: tf.Tensor[]) => scalarOf(reference(mode, ...split(args)), coef);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const got = foldStep(PLAN, mode, thetas, params);
        const want = reference(mode, thetas, params);
        (['weights', 'masks', 'folded'] as const).forEach((k) => got[k].forEach((t, i) => expectClose(t.dataSync(), want[k][i].dataSync(), 1e-6)));
        const gFused = tf.grads(fused)(xs);
        const gRef = tf.grads(ref)(xs);
        gFused.forEach((g, i) => {
          expect(g.shape).toEqual(gRef[i].shape);
          expectClose(g.dataSync(), gRef[i].dataSync(), 1e-5);
        });
      });
      expect(tf.memory().numTensors).toBe(before);
      // Two kernels, forward and backward, for the whole plumbing.
      const prof = await tf.profile(() => tf.tidy(() => void tf.grads(fused)(xs)));
      expect(prof.kernels.filter((k) => k.name.startsWith('FbnetDMasking')).map((k) => k.name)).toEqual([DMASKING_KERNELS.Fold, DMASKING_KERNELS.FoldGrad]);
      tf.dispose([...thetas, ...params, ...coef]);
    });
  }

  it('has the gradient of central finite differences in every logit and parameter (Gumbel-softmax)', () => {
    const { thetas, params, coef, noise } = setup(7);
    const mode: FoldMode = { kind: 'gumbel', tau: 1.3, noise };
    const xs = [...thetas, ...params];
    const f = (...args: tf.Tensor[]) => scalarOf(foldStep(PLAN, mode, args.slice(0, thetas.length) as tf.Tensor1D[], args.slice(thetas.length)), coef);
    tf.tidy(() => {
      const grads = tf.grads(f)(xs);
      const eps = 1e-2;
      let checked = 0;
      xs.forEach((x, i) => {
        const base = Array.from(x.dataSync());
        // every logit; a spread of each parameter's entries
        const idxs = i < thetas.length ? base.map((_, j) => j) : base.map((_, j) => j).filter((j) => j % 3 === i % 3);
        for (const j of idxs) {
          const at = (d: number) => f(...xs.map((y, q) => (q === i ? tf.tensor(base.map((v, p) => (p === j ? v + d : v)), y.shape) : y))).dataSync()[0];
          const fd = (at(eps) - at(-eps)) / (2 * eps);
          expect(Math.abs(grads[i].dataSync()[j] - fd)).toBeLessThan(2e-3 + 1e-2 * Math.abs(fd));
          checked++;
        }
      });
      expect(checked).toBeGreaterThan(40);
    });
    tf.dispose([...thetas, ...params, ...coef]);
  });

  it('hard: one-hot weights at the argmax of the soft ones', () => {
    const { thetas, params, coef, noise } = setup(9);
    tf.tidy(() => {
      const { weights } = foldStep(PLAN, { kind: 'gumbel', tau: 0.5, noise, hard: true }, thetas, params);
      const soft = foldStep(PLAN, { kind: 'gumbel', tau: 0.5, noise }, thetas, params).weights;
      weights.forEach((w, c) => {
        const s = Array.from(soft[c].dataSync());
        expect(Array.from(w.dataSync())).toEqual(s.map((v) => (v === Math.max(...s) ? 1 : 0)));
      });
    });
    tf.dispose([...thetas, ...params, ...coef]);
  });

  it('checks its plan and inputs', () => {
    expect(() => compileFoldPlan({ ...SPEC, tables: [{ keys: ['a'], dims: [4], widths: [1, 2, 3, 4], k: 4 }] })).toThrow(/choice "a" has 3 weights, the table 4 options/);
    expect(() => compileFoldPlan({ ...SPEC, tables: [{ keys: ['a', 'a'], dims: [3, 3], widths: Array(9).fill(1), k: 4 }] })).toThrow(/repeats a choice key/);
    expect(() => compileFoldPlan({ ...SPEC, folds: [{ table: 0, shape: [7], axis: 0 }] })).toThrow(/not the mask's 8 channels/);
    expect(() => foldStep(PLAN, { kind: 'gumbel', tau: 1 }, [], [])).toThrow(/0 logit vectors for 3 choices/);
  });
});

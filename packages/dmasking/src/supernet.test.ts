import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { archFromChoice, OPS, parseSearchSpace, Rng, sampleChoice, type ArchChoice, type SearchSpace } from '@fbnet/core';
import { BlockModule, crossEntropy, Net, ParamStore } from '@fbnet/nn';
import { archCost, propagateEffective } from '@fbnet/shape-propagation';
import { inheritWeights } from './inherit.ts';
import { channelMask, jointConfigs } from './masks.ts';
import { subsample } from './resample.ts';
import { DMaskingSupernet, type DMaskingMode } from './supernet.ts';
import { tinyV2Space } from './_test-space.ts';

const norm = { mean: [0.5], std: [0.5] };

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

function randomInput(n: number, size: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Array.from({ length: n * size * size }, () => rng.next() * 255), [n, size, size, 1]);
}

/** Random BN affine parameters and running statistics, so BN is not the identity. */
function perturbBn(store: ParamStore, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, v] of store.entries()) {
    if (!/\.bn\.(gamma|beta|mean|var)$/.test(name)) continue;
    const isVar = name.endsWith('.var');
    const isGamma = name.endsWith('.gamma');
    tf.tidy(() => v.assign(tf.tensor1d(Array.from({ length: v.size }, () => (isVar ? 0.5 + rng.next() : isGamma ? 0.5 + rng.next() : 0.3 * rng.normal())))));
  }
}

function copySliced(from: ParamStore, to: ParamStore): void {
  for (const [name, v] of to.entries()) tf.tidy(() => v.assign(tf.slice(from.get(name), v.shape.map(() => 0), v.shape)));
}

/** The derived arch as a Net with the supernet's shared weights, on the subsampled input. */
function derivedLogits(sn: DMaskingSupernet, space: SearchSpace, choice: ArchChoice, x: tf.Tensor4D, training: boolean): Float32Array {
  const def = archFromChoice(space, choice);
  const net = new Net(def, { normalization: norm });
  inheritWeights(sn, choice, net);
  const r = def.input_size;
  const out = tf.tidy(() => net.forward(subsample(x, [r, r]), { training, updateStats: false }).dataSync() as Float32Array);
  net.dispose();
  return out;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  expect(worst).toBeLessThan(tol);
}

describe('channel masking (eq. 1-3)', () => {
  it('one masked block equals the padded weighted sum of the per-option blocks (Fig. steps B-E), training-mode BN', () => {
    // ir_k3, 8 -> k = 16 channels, stride 2 (no residual); options c_i = 4, 8, 12, 16
    const build = (cout: number) => OPS.get('ir_k3').build({ inChannels: 8, outChannels: cout, stride: 2, kwargs: { expansion: 3 }, widthDivisor: 1 });
    const big = new ParamStore();
    const block = new BlockModule(build(16), 'b', big, new Rng(1));
    perturbBn(big, 2);
    const widths = [4, 8, 12, 16];
    const g = tf.tensor1d([0.1, 0.2, 0.3, 0.4]);
    const rng = new Rng(3);
    const x = tf.tensor4d(Array.from({ length: 4 * 6 * 6 * 8 }, () => rng.normal()), [4, 6, 6, 8]);
    const ctx = { training: true, updateStats: false };
    const masked = tf.tidy(() => block.forward(x, { ...ctx, masks: { out: channelMask(g, widths, 16) } }).dataSync());
    // Step B: every option as its own block (weights = the shared ones cut to c_i), zero-padded to k, weighted, summed.
    const reference = tf.tidy(() => {
      const gs = g.dataSync();
      const terms = widths.map((c, i) => {
        const store = new ParamStore();
        const b = new BlockModule(build(c), 'b', store, new Rng(9));
        copySliced(big, store);
        const y = b.forward(x, ctx);
        const padded = tf.pad(y, [
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 16 - c],
        ]);
        const out = tf.mul(padded, gs[i]);
        tf.keep(out);
        store.dispose();
        return out;
      });
      return tf.addN(terms).dataSync();
    });
    expectClose(masked, reference, 1e-5);
    big.dispose();
  });

  it('a last searchable layer mixing blocks x widths x expansions equals Σ over joint options of the derived nets (eval BN; residual and identity only where C_in = C_out)', () => {
    const space = parseSearchSpace({
      version: 1,
      name: 'last-layer',
      input_size: 8,
      input_channels: 1,
      num_classes: 10,
      candidates: { k3: { op: 'ir_k3' }, k5: { op: 'ir_k5' }, skip: { op: 'skip' } },
      stages: [[{ fixed: ['conv_k3', 8, 2, 1] }], [{ searchable: { c: 12, s: 1, n: 1, candidates: ['k3', 'k5', 'skip'], channels: [6, 8, 12], expansions: [2, 3] } }]],
    });
    const sn = new DMaskingSupernet(space, norm, 4);
    perturbBn(sn.store, 5);
    const x = randomInput(3, 8, 6);
    const w = { 'op/0': [0.5, 0.3, 0.2], 'channels/0': [0.2, 0.3, 0.5], 'expansion/0': [0.6, 0.4] };
    const mixed = tf.tidy(() => sn.forward(x, { kind: 'weights', weights: w }, { training: false }).logits.dataSync());
    const sum = new Float32Array(mixed.length);
    for (const [i, k, e] of jointConfigs([3, 3, 2])) {
      const wt = w['op/0'][i] * w['channels/0'][k] * w['expansion/0'][e];
      const l = derivedLogits(sn, space, { ops: [i], channels: [k], expansions: [e] }, x, false);
      for (let j = 0; j < sum.length; j++) sum[j] += wt * l[j];
    }
    expectClose(mixed, sum, 1e-5);
    sn.dispose();
  });
});

describe('one-hot weights run exactly the derived arch', () => {
  it('logits equal the derived Net (inherited weights, subsampled input) for random choices, training and eval BN', () => {
    const space = tinyV2Space();
    const sn = new DMaskingSupernet(space, norm, 7);
    perturbBn(sn.store, 8);
    const x = randomInput(4, 12, 9);
    const rng = new Rng(10);
    for (let t = 0; t < 6; t++) {
      const choice = sampleChoice(space, rng);
      for (const training of [false, true]) {
        const got = tf.tidy(() => sn.forward(x, { kind: 'fixed', choice }, { training, updateStats: false }).logits.dataSync());
        expectClose(got, derivedLogits(sn, space, choice, x, training), 1e-4);
      }
      // every branch run, with zero weights off the choice: the same logits
      const oneHot = Object.fromEntries(
        sn.choices.map((c) => {
          const idx = c.kind === 'op' ? choice.ops[c.layer!] : c.kind === 'channels' ? choice.channels![c.layer!] : c.kind === 'expansion' ? choice.expansions![c.layer!] : choice.resolution!;
          return [c.key, c.options.map((_, i) => (i === idx ? 1 : 0))];
        }),
      );
      const all = tf.tidy(() => sn.forward(x, { kind: 'weights', weights: oneHot }, { training: false }).logits.dataSync());
      expectClose(all, derivedLogits(sn, space, choice, x, false), 1e-4);
    }
    sn.dispose();
  });
});

describe('effective shapes and cost (eq. 5-10)', () => {
  it('at one-hot weights the supernet reports exactly the FLOPs and params of the derived arch (archCost = fbnet cost)', () => {
    const space = tinyV2Space();
    const sn = new DMaskingSupernet(space, norm, 1);
    const rng = new Rng(11);
    for (let t = 0; t < 25; t++) {
      const choice = sampleChoice(space, rng);
      const concrete = archCost(archFromChoice(space, choice));
      const [flops, params] = tf.tidy(() => {
        const w = sn.mixWeights({ kind: 'fixed', choice });
        return [sn.effectiveCost(w, 'flops').dataSync()[0], sn.effectiveCost(w, 'params').dataSync()[0]];
      });
      expect(flops).toBe(concrete.flops);
      expect(params).toBe(concrete.params);
    }
    sn.dispose();
  });

  it('effective channels and cost match a hand computation', () => {
    // stem conv_k3 1->8 s2, then one ir_k3 layer: widths {4, 8} at g = (0.25, 0.75), expansions {2, 4} at (0.5, 0.5)
    const base = {
      version: 1,
      name: 'hand',
      input_size: 12,
      input_channels: 1,
      num_classes: 10,
      candidates: { k3: { op: 'ir_k3' } },
      stages: [[{ fixed: ['conv_k3', 8, 2, 1] }], [{ searchable: { c: 8, s: 1, n: 1, candidates: ['k3'], channels: [4, 8], expansions: [2, 4] } }]],
    };
    const w = { 'channels/0': [0.25, 0.75], 'expansion/0': [0.5, 0.5] };
    // C̄_out = 0.25·4 + 0.75·8 = 7 (eq. 5); C̄_mid = 0.5·16 + 0.5·32 = 24, passed through the dw (eq. 9).
    // At 6x6: pw 8·24·36 = 6912, dw 9·24·36 = 7776, pwl 24·7·36 = 6048 -> 20736 (eq. 10).
    // Stem 9·1·8·36 = 2592; head: pool 36·7 + 7·10 = 322.
    const sn = new DMaskingSupernet(parseSearchSpace(base), norm, 1);
    const r = tf.tidy(() => {
      const p = propagateEffective(sn.costGraph, sn.mixWeights({ kind: 'weights', weights: w }));
      return { total: p.cost.dataSync()[0], layers: p.layers.map((l) => [l.channels.dataSync()[0], l.cost.dataSync()[0]]) };
    });
    expect(r.layers[0]).toEqual([8, 2592]);
    expect(r.layers[1]).toEqual([7, 20736]);
    expect(r.total).toBe(2592 + 20736 + 322);
    expect(tf.tidy(() => sn.effectiveCost(sn.mixWeights({ kind: 'weights', weights: w })).dataSync()[0])).toBe(23650);
    sn.dispose();
    // Resolutions {8, 12} at (0.5, 0.5): the map after the stem is 4x4 or 6x6, h̄ = w̄ = 5 (eq. 6):
    // stem 9·8·25 = 1800, layer (192 + 216 + 168)·25 = 14400, head 25·7 + 70 = 245.
    const sr = new DMaskingSupernet(parseSearchSpace({ ...base, resolutions: [8, 12] }), norm, 1);
    const cost = tf.tidy(() => sr.effectiveCost(sr.mixWeights({ kind: 'weights', weights: { ...w, resolution: [0.5, 0.5] } })).dataSync()[0]);
    expect(cost).toBe(1800 + 14400 + 245);
    sr.dispose();
  });
});

describe('gradients', () => {
  it('∂(CE + λ·FLOPs)/∂α of every choice and ∂/∂w match central finite differences', () => {
    const space = tinyV2Space();
    const sn = new DMaskingSupernet(space, norm, 12);
    perturbBn(sn.store, 13);
    const rng = new Rng(14);
    for (const v of sn.thetaVariables()) tf.tidy(() => v.assign(tf.tensor1d(Array.from({ length: v.size }, () => 0.5 * rng.normal()))));
    const x = randomInput(4, 12, 15);
    const y = tf.tensor1d([1, 3, 5, 7], 'int32');
    const noise = sn.sampleNoise(new Rng(16));
    const mode = { kind: 'gumbel' as const, tau: 1.5, noise, resolution: 'all' as const };
    const loss = () =>
      tf.tidy(() => {
        const f = sn.forward(x, mode, { training: false });
        return tf.add(crossEntropy(f.logits, y), tf.mul(sn.effectiveCost(f.weights), 2e-5)) as tf.Scalar;
      });
    const wv = sn.store.get('w.s2.k3.pwl.w');
    const vars = [...sn.thetaVariables(), wv];
    const { grads } = tf.variableGrads(loss, vars);
    const h = 1e-2;
    let checked = 0;
    for (const v of vars) {
      const g = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      const idxs = v === wv ? [0, 5, 17] : Array.from({ length: v.size }, (_, i) => i);
      for (const i of idxs) {
        const at = (d: number) => {
          const p = Float32Array.from(base);
          p[i] += d;
          tf.tidy(() => v.assign(tf.tensor(p, v.shape)));
          const l = loss();
          const val = l.dataSync()[0];
          l.dispose();
          return val;
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
        expect(Math.abs(g[i] - fd)).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
    tf.dispose(Object.values(grads));
    sn.dispose();
  });
});

describe('mask paths', () => {
  const modes = (sn: DMaskingSupernet, space: SearchSpace): [string, DMaskingMode][] => {
    const noise = sn.sampleNoise(new Rng(24));
    const choice = sampleChoice(space, new Rng(25));
    const w = Object.fromEntries(sn.choices.map((c, i) => [c.key, c.options.map((_, j) => 0.1 + ((i + 3 * j) % 5) / 5)]));
    return [
      ['Gumbel-softmax', { kind: 'gumbel', tau: 1.5, noise, resolution: 'all' }],
      ['hard Gumbel, sampled resolution', { kind: 'gumbel', tau: 1.5, noise, hard: true }],
      ['softmax(α/τ)', { kind: 'expected', tau: 2 }],
      ['fixed', { kind: 'fixed', choice }],
      ['given weights', { kind: 'weights', weights: w }],
    ];
  };

  it('the whole plumbing in one host op and with tfjs ops per choice and mask give the same loss and gradients of every weight and α, in every mode', () => {
    const space = tinyV2Space();
    const rng = new Rng(21);
    const start = tf.memory().numTensors;
    const x = randomInput(4, 12, 22);
    const y = tf.tensor1d([0, 2, 4, 6], 'int32');
    const nets = (['host', 'kernels'] as const).map((masks) => new DMaskingSupernet(space, norm, 23, { masks }));
    const alphas = nets[0].thetaVariables().map((v) => Array.from({ length: v.size }, () => 0.7 * rng.normal()));
    for (const sn of nets) sn.thetaVariables().forEach((v, i) => tf.tidy(() => v.assign(tf.tensor1d(alphas[i]))));
    // The kernel path ('fixed' mode on both nets) uploads its constant 0/1 prefix matrices once (kept until dispose).
    for (const sn of nets) for (const [, mode] of modes(nets[0], space)) tf.tidy(() => void sn.forward(x, mode, { training: false }));
    for (const [name, mode] of modes(nets[0], space)) {
      const results = nets.map((sn) => {
        const vars = [...sn.weightVariables(), ...sn.thetaVariables()];
        const before = tf.memory().numTensors;
        const { value, grads } = tf.variableGrads(() => crossEntropy(sn.forward(x, mode, { training: true, updateStats: false }).logits, y), vars);
        const out = { loss: value.dataSync()[0], grads: vars.map((v) => (grads[v.name] ? Array.from(grads[v.name].dataSync()) : null)) };
        tf.dispose([value, ...Object.values(grads)]);
        // A step leaves no tensor behind.
        expect(tf.memory().numTensors, `${name} (${sn === nets[0] ? 'host' : 'kernels'})`).toBe(before);
        return out;
      });
      expect(results[0].loss, name).toBeCloseTo(results[1].loss, 5);
      let nonzero = 0;
      results[0].grads.forEach((g, i) => {
        const r = results[1].grads[i];
        expect(g === null, `${name}: gradient ${i}`).toBe(r === null);
        g?.forEach((v, j) => {
          expect(Math.abs(v - r![j]), `${name}: gradient ${i}[${j}]`).toBeLessThan(1e-5 + 1e-4 * Math.abs(r![j]));
          if (Math.abs(r![j]) > 1e-6) nonzero++;
        });
      });
      expect(nonzero, name).toBeGreaterThan(100);
    }
    nets.forEach((sn) => sn.dispose());
    y.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('resolution search, one body pass per step (sampled resolution)', () => {
  it('runs the drawn resolution only: logits of that branch; α gets the straight-through gradient ∂L/∂g_k · ∂g_k/∂α', () => {
    const space = tinyV2Space();
    const sn = new DMaskingSupernet(space, norm, 21);
    perturbBn(sn.store, 22);
    const rng = new Rng(23);
    for (const v of sn.thetaVariables()) tf.tidy(() => v.assign(tf.tensor1d(Array.from({ length: v.size }, () => 0.5 * rng.normal()))));
    const x = randomInput(4, 12, 24);
    const y = tf.tensor1d([0, 2, 4, 6], 'int32');
    const tau = 1.5;
    const resChoice = sn.choices.find((c) => c.kind === 'resolution')!;
    expect(resChoice.options.length).toBeGreaterThan(1);
    for (let trial = 0; trial < 3; trial++) {
      const noise = sn.sampleNoise(new Rng(30 + trial));
      const mode = { kind: 'gumbel' as const, tau, noise };
      // The Gumbel weights of every choice, and the drawn resolution k = argmax of its weights.
      const w = tf.tidy(() => Object.fromEntries(Object.entries(sn.mixWeights(mode)).map(([key, t]) => [key, Array.from(t.dataSync())])));
      const g = w[resChoice.key];
      const k = g.indexOf(Math.max(...g));
      // Reference: every branch run ('weights' mode), resolution weights s·e_k, the other choices at their Gumbel weights.
      const ceAt = (s: number) =>
        tf.tidy(() => crossEntropy(sn.forward(x, { kind: 'weights', weights: { ...w, [resChoice.key]: g.map((_, i) => (i === k ? s : 0)) } }, { training: false }).logits, y).dataSync()[0]);
      const got = tf.tidy(() => crossEntropy(sn.forward(x, mode, { training: false }).logits, y).dataSync()[0]);
      expect(got).toBeCloseTo(ceAt(1), 4);
      const alpha = sn.thetas.get(resChoice.key)!;
      const { grads } = tf.variableGrads(() => crossEntropy(sn.forward(x, mode, { training: false }).logits, y), [alpha]);
      const ga = grads[alpha.name].dataSync();
      const h = 1e-3;
      const dLds = (ceAt(1 + h) - ceAt(1 - h)) / (2 * h);
      for (let j = 0; j < g.length; j++) {
        const want = (dLds * g[k] * ((j === k ? 1 : 0) - g[j])) / tau;
        expect(Math.abs(ga[j] - want)).toBeLessThan(1e-3 + 1e-2 * Math.abs(want));
      }
      tf.dispose(Object.values(grads));
    }
    y.dispose();
    sn.dispose();
  });
});

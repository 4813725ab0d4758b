import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { archFromChoice, Rng, sampleChoice } from '@fbnet/core';
import { archLatency, blockOutputShape, LatencyModel, entryKey, entryOpType, resolveTiming, spaceEntries, LUT_FORMAT_VERSION, LUT_KIND, type LatencyTable, type LutEntry } from '@fbnet/latency-lut';
import { oneHotWeights } from '@fbnet/shape-propagation';
import { tinyV2Space } from './_test-space.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** A made-up table holding every entry of the space (entry i: 0.1 + 0.01·i ms), optionally with a correction. */
function fakeLut(withCorrection: boolean): LatencyTable {
  const space = tinyV2Space();
  const entries: LutEntry[] = spaceEntries(space).map((r, i) => {
    const m = 0.1 + 0.01 * i;
    const stats = { ms: m + 0.002, medianMs: m, p10Ms: 0.9 * m, p90Ms: 1.1 * m, samples: 5, syncMs: 0.002 };
    const c = r.config;
    const base = { key: entryKey(c), opType: entryOpType(c), input: c.input };
    if (c.kind === 'block') return { kind: 'block', ...base, output: blockOutputShape(c.spec, c.input), spec: c.spec, ...stats };
    if (c.kind === 'head') return { kind: 'head', ...base, numClasses: c.numClasses, ...stats };
    return { kind: 'input', ...base, ...stats };
  });
  const now = '2026-01-01T00:00:00.000Z';
  const lut: LatencyTable = {
    kind: LUT_KIND,
    version: LUT_FORMAT_VERSION,
    createdAt: now,
    updatedAt: now,
    device: { cpuModel: 'test', cores: 1, os: 'test', runtime: 'node', backend: 'cpu', backendVersion: '0', planHash: 'none' },
    timing: resolveTiming(),
    sources: [],
    entries,
  };
  if (withCorrection) {
    lut.correction = {
      model: 'per-op',
      offsetMs: 0.05,
      scale: 1.1,
      opWeights: { skip_proj: 0.8, input: 1.2 },
      fit: { mape: 0, within10: 1, kendallTau: 1 },
      fittedAt: now,
    } as unknown as LatencyTable['correction'];
  }
  return lut;
}

describe('the latency model on a V2 space (masked expectation)', () => {
  it.each([false, true])('at one-hot weights equals LAT of the derived arch (archLatency), correction %s', (withCorrection) => {
    const space = tinyV2Space();
    const lut = fakeLut(withCorrection);
    const lat = LatencyModel.of(space, lut);
    expect(lat.entries).toBe(spaceEntries(space).length);
    const rng = new Rng(1);
    for (let t = 0; t < 30; t++) {
      const choice = sampleChoice(space, rng);
      const want = archLatency(lut, archFromChoice(space, choice)).totalMs;
      expect(lat.expectedMaskedValue(oneHotWeights(space, choice))).toBeCloseTo(want, 10);
      expect(lat.expectedMaskedValue(lat.oneHot(choice))).toBeCloseTo(want, 10);
      expect(lat.archMs(archFromChoice(space, choice))).toBeCloseTo(want, 10);
      const w = Object.fromEntries(Object.entries(oneHotWeights(space, choice)).map(([k, v]) => [k, tf.tensor1d(v)]));
      const got = tf.tidy(() => lat.expectedMasked(w).dataSync()[0]);
      expect(Math.abs(got - want) / want).toBeLessThan(1e-6);
      tf.dispose(Object.values(w));
    }
  });

  it('soft weights: the expectation over sampled archs (Monte Carlo agrees), and gradients match finite differences', () => {
    const space = tinyV2Space();
    const lut = fakeLut(false);
    const lat = LatencyModel.of(space, lut);
    const rng = new Rng(2);
    const keys = Object.keys(oneHotWeights(space, sampleChoice(space, rng))).filter((k) => oneHotWeights(space, sampleChoice(space, rng))[k].length > 1);
    const probs: Record<string, number[]> = {};
    for (const k of keys) {
      const n = oneHotWeights(space, sampleChoice(space, rng))[k].length;
      const raw = Array.from({ length: n }, () => 0.2 + rng.next());
      const s = raw.reduce((a, b) => a + b, 0);
      probs[k] = raw.map((x) => x / s);
    }
    const exact = lat.expectedMaskedValue(probs);
    // Monte Carlo over archs drawn from the product distribution
    const byKey = (k: string) => rng.categorical(probs[k]);
    let mc = 0;
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const c = sampleChoice(space, rng);
      c.ops = c.ops.map((o, l) => (probs[`op/${l}`] ? byKey(`op/${l}`) : o));
      c.channels = c.channels?.map((o, l) => (probs[`channels/${l}`] ? byKey(`channels/${l}`) : o));
      c.expansions = c.expansions?.map((o, l) => (probs[`expansion/${l}`] ? byKey(`expansion/${l}`) : o));
      c.resolution = byKey('resolution');
      mc += archLatency(lut, archFromChoice(space, c)).totalMs;
    }
    expect(Math.abs(mc / n - exact) / exact).toBeLessThan(0.02);
    // gradient of the tensor form vs central differences of the number form
    const tensors = Object.fromEntries(keys.map((k) => [k, tf.tensor1d(probs[k])]));
    const grads = tf.grads((...xs: tf.Tensor[]) => lat.expectedMasked(Object.fromEntries(keys.map((k, i) => [k, xs[i] as tf.Tensor1D]))))(keys.map((k) => tensors[k]));
    keys.forEach((k, ki) => {
      const g = grads[ki].dataSync();
      probs[k].forEach((p, i) => {
        const h = 1e-5;
        const at = (d: number) => lat.expectedMaskedValue({ ...probs, [k]: probs[k].map((x, j) => (j === i ? x + d : x)) });
        const fd = (at(h) - at(-h)) / (2 * h);
        expect(g[i]).toBeCloseTo(fd, 3);
      });
    });
    tf.dispose([...grads, ...Object.values(tensors)]);
  });

  it('a table that lacks entries of the space is refused, saying how many', () => {
    const lut = fakeLut(false);
    lut.entries = lut.entries.slice(0, 10);
    expect(() => LatencyModel.of(tinyV2Space(), lut).entries).toThrow(/lacks \d+ of the \d+ entries/);
  });
});

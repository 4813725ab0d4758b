import { describe, expect, it } from 'vitest';
import { archFromChoice, FbnetError } from '@fbnet/core';
import { archLatency } from './predict.ts';
import { lutEntryMap } from './schema.ts';
import { fakeLut, tinySpace } from './_test-fixtures.ts';

describe('LAT(a) = Σ_l LAT(b_l) (eq. 3)', () => {
  const space = tinySpace();
  const lut = fakeLut(space);
  const ms = (key: string) => lutEntryMap(lut).get(key)!.medianMs;

  it('sums the input, every block and the head (+ the net\'s one read-back) with a breakdown', () => {
    const arch = archFromChoice(space, { ops: [0, 1, 2, 2] });
    const r = archLatency(lut, arch);
    expect(r.steps.map((s) => s.role)).toEqual(['input', 0, 1, 2, 3, 4, 5, 'head']);
    // fakeLut: entry i has median 1 + i; entries in enumeration order:
    // 0 input, 1 stem, 2-4 layer 0 (k3_e1, k3_e3, skip), 5-7 layer 1, 8-10 layers 2-3, 11 conv_k1, 12 head (+ sync 0.01)
    const expected = 1 + 2 + (1 + 2) + (1 + 6) + (1 + 10) + (1 + 10) + (1 + 11) + (1 + 12 + 0.01);
    expect(r.plainMs).toBeCloseTo(expected, 10);
    expect(r.totalMs).toBe(r.plainMs);
    expect(r.correctedMs).toBeUndefined();
    expect(r.steps[4].ms).toBe(ms(r.steps[4].key));
    expect(r.steps.reduce((a, s) => a + s.ms, 0)).toBeCloseTo(r.plainMs, 10);
  });

  it('applies the correction when the table has one (and not when told not to)', () => {
    const arch = archFromChoice(space, { ops: [1, 1, 1, 1] });
    const plain = archLatency(lut, arch).plainMs;
    const withAffine = { ...lut, correction: { model: 'affine' as const, offsetMs: 0.5, scale: 1.2, opWeights: {}, calibration: { samples: 3, seed: 0, looMape: {}, plain: { mape: 1, within10: 1, kendallTau: 1 }, corrected: { mape: 1, within10: 1, kendallTau: 1 } }, fittedAt: 'x' } };
    const r = archLatency(withAffine, arch);
    expect(r.correctedMs).toBeCloseTo(0.5 + 1.2 * plain, 10);
    expect(r.totalMs).toBe(r.correctedMs);
    expect(archLatency(withAffine, arch, { corrected: false }).totalMs).toBeCloseTo(plain, 10);
  });

  it('names the missing entries of an arch the table does not cover', () => {
    const small = { ...lut, entries: lut.entries.filter((e) => e.opType !== 'ir_k3_e3') };
    try {
      archLatency(small, archFromChoice(space, { ops: [1, 0, 0, 0] }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FbnetError);
      expect((e as Error).message).toMatch(/no entry for 1 step\(s\) of this arch: block:ir_k3\[conv1s1p0,0g1:8>24/);
    }
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLutSummary, formatValidationReport, showLut } from './show.ts';
import { saveLut } from './storage.ts';
import type { ValidationReport } from './validate-report.ts';
import { FAKE_DEVICE, fakeLut, tinySpace } from './_test-fixtures.ts';

describe('fbnet lut show', () => {
  it('summarises a table file: device, sources, entries per kind and op type', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fbnet-show-')), 'lut.json');
    await saveLut(path, fakeLut(tinySpace()));
    const s = showLut(path);
    expect(s.entries).toBe(13);
    expect(s.byKind).toEqual({ input: 1, block: 11, head: 1 });
    expect(s.sources).toEqual([{ kind: 'space', name: 'tiny', hash: expect.any(String) }]);
    expect(s.byOpType.find((o) => o.opType === 'skip')).toMatchObject({ entries: 2 });
    const text = formatLutSummary(s);
    expect(text).toMatch(/device {3}Test CPU 9000, 4 cores/);
    expect(text).toMatch(/entries {2}13 \(1 input, 11 block, 1 head\)/);
    expect(text).toMatch(/no correction fitted/);
    // fakeLut: p10 = 0.9, p90 = 1.1 of the median, 20 samples each
    expect(s.spread!.medianRel).toBeCloseTo(0.2, 9);
    expect(s.spread!.maxRel).toBeCloseTo(0.2, 9);
    expect(s.spread).toMatchObject({ minSamples: 20, medianSamples: 20 });
    expect(text).toMatch(/spread {3}\(p90 − p10\) \/ median: median 20\.0%, max 20\.0%; samples per entry >= 20 \(median 20\)/);
  });

  it('renders a validation report with both predictors', () => {
    const f = { mape: 3.2, within10: 0.99, kendallTau: 0.93, maxAbsErrPct: 11, biasPct: -1.5 };
    const r: ValidationReport = {
      kind: 'fbnet-lut-validation', version: 1, createdAt: 'x', backend: 'wasm', device: FAKE_DEVICE, space: 'tiny', samples: 100, calibrationSamples: 30, seed: 0,
      timing: fakeLut(tinySpace()).timing, predictor: 'corrected', mape: 2, within10: 1, kendallTau: 0.95, plain: f,
      corrected: { ...f, mape: 2, within10: 1, kendallTau: 0.95 }, correction: { model: 'affine', offsetMs: 0.1, scale: 1.05, opWeights: {}, looMape: {} }, elapsedSec: 1, archs: [],
    };
    const t = formatValidationReport(r);
    expect(t).toMatch(/plain +3\.20% +99\.0% +0\.930 +-1\.5% +11\.0%/);
    expect(t).toMatch(/corrected +2\.00% +100\.0% +0\.950/);
    expect(t).toMatch(/search uses the corrected predictor \(affine: offset 0\.100 ms, scale 1\.050\)/);
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kendallTauB } from '@fbnet/core';
import { compareValidations } from './validation-drift.ts';
import { loadValidationReport, parseValidationReport } from './validation-schema.ts';
import { formatValidationReport } from './show.ts';

const results = (name: string) => fileURLToPath(new URL(`../../../benchmarks/results/${name}`, import.meta.url));
// Version 1 reports committed before repeats existed: the ImageNet table's validation and its re-validation 80 minutes later.
const FIRST = results('lut-wasm-fbnet-v1-imagenet-before.json');
const LATER = results('lut-wasm-fbnet-v1-imagenet-revalidation-1435.json');

describe('validation reports', () => {
  it('reads version 1 files (committed results, wrapped with extra run context) unchanged where it matters', () => {
    const raw = JSON.parse(readFileSync(FIRST, 'utf8'));
    const r = loadValidationReport(FIRST);
    expect(r.version).toBe(1);
    expect(r.rounds).toBeUndefined();
    expect(r.archs).toEqual(raw.archs);
    expect(r.mape).toBe(raw.mape);
    expect('machine' in r).toBe(false);
    expect(formatValidationReport(r)).toMatch(/latency table validation: fbnet-v1-imagenet on wasm/);
  });

  it('refuses a malformed report naming the field, and another version naming it', () => {
    const raw = JSON.parse(readFileSync(FIRST, 'utf8'));
    const bad = structuredClone(raw);
    bad.archs[3].measuredMs = 'fast';
    expect(() => parseValidationReport(bad)).toThrow(/archs\.3\.measuredMs/);
    expect(() => parseValidationReport({ ...raw, version: 3 })).toThrow(/version/);
    expect(() => parseValidationReport({ ...raw, kind: 'fbnet-latency-lut' })).toThrow(/kind/);
    expect(() => parseValidationReport('{')).toThrow(/not valid JSON/);
    expect(() => parseValidationReport({ ...raw, version: 2, rounds: [{ round: 1, startedAt: '', elapsedSec: 1, predictor: 'plain', mape: 1, within10: 1, kendallTau: 1, plain: raw.plain, outsideSpread: 0, measuredMs: [1], predictedMs: [1] }] })).toThrow(
      /rounds\.0\.measuredMs: 1 values for 40 archs/,
    );
  });

  it('compares the committed validation with its re-validation 80 minutes later (hand-checkable from the files)', () => {
    const a = loadValidationReport(FIRST);
    const b = loadValidationReport(LATER);
    const d = compareValidations(a, b);
    expect(d.common).toBe(40);
    expect(d.warnings).toEqual([]);
    // version 1 reports name no table hash
    expect(d.sameTable).toBeUndefined();
    expect(d.minutesApart).toBeCloseTo((Date.parse(b.createdAt) - Date.parse(a.createdAt)) / 60000, 9);
    expect(d.earlier.mape).toBe(a.mape);
    expect(d.later.kendallTau).toBe(b.kendallTau);
    const then = a.archs.map((x) => x.measuredMs);
    const now = b.archs.map((x) => x.measuredMs);
    expect(d.kendallTau).toBeCloseTo(kendallTauB(then, now), 12);
    const ratios = now.map((m, i) => m / then[i]).sort((x, y) => x - y);
    expect(d.medianRatio).toBeCloseTo((ratios[19] + ratios[20]) / 2, 12);
    expect(d.mape).toBeCloseTo((100 * ratios.reduce((s, r) => s + Math.abs(r - 1), 0)) / 40, 9);
    expect(d.within10).toBe(ratios.filter((r) => Math.abs(r - 1) <= 0.1).length / 40);
  });

  it('warns when the two are not like for like, and refuses two with no arch in common', () => {
    const a = loadValidationReport(FIRST);
    const foreign = { ...a.archs[0], ops: a.archs[0].ops.map(() => 99) };
    const b = { ...loadValidationReport(LATER), backend: 'cpu', device: { ...a.device, cores: 16 }, archs: [...a.archs.slice(0, 10), foreign] };
    const d = compareValidations(a, b);
    expect(d.common).toBe(10);
    expect(d.warnings.join('\n')).toMatch(/backend: earlier "wasm", later "cpu"/);
    expect(d.warnings.join('\n')).toMatch(/device cores: earlier "2", later "16"/);
    expect(d.warnings.join('\n')).toMatch(/only 10 of the 11 archs validated now/);
    const none = { ...b, archs: [foreign] };
    expect(() => compareValidations(a, none)).toThrow(/no arch in common/);
  });
});

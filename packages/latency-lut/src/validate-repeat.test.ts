import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { archFromChoice, assertSerializable, kendallTauB } from '@fbnet/core';
import type { LutEvent } from './events.ts';
import { measureLut } from './measure-lut.ts';
import { fitFigures } from './metrics.ts';
import { archLatency } from './predict.ts';
import { lutEntryMap, type LatencyTable } from './schema.ts';
import { spreadBand, validateLut } from './validate.ts';
import type { ValidationReport } from './validate-report.ts';
import { parseValidationReport } from './validation-schema.ts';
import { formatValidationReport } from './show.ts';
import { stockCpuPlugin } from './_stock-plugins.ts';
import { fakeLut, QUICK_TIMING, tinySpace } from './_test-fixtures.ts';

// Real measurements with a tiny budget: nothing here asserts a time, only structure and consistency.
const backend = stockCpuPlugin;
const of = <T extends LutEvent['type']>(evs: LutEvent[], t: T) => evs.filter((e): e is Extract<LutEvent, { type: T }> => e.type === t);

async function measuredTable(): Promise<LatencyTable> {
  const evs = await lastValueFrom(measureLut({ space: tinySpace(), timing: QUICK_TIMING }, { backend }).pipe(toArray()));
  return of(evs, 'lut/completed')[0].table;
}

/** What every report must satisfy, whatever the times were. */
function expectConsistent(report: ValidationReport, table: LatencyTable, repeat: number) {
  const space = tinySpace();
  expect(report.version).toBe(2);
  expect(report.rounds).toHaveLength(repeat);
  const [r1] = report.rounds!;
  // the top-level figures are round 1's
  expect(report.mape).toBe(r1.mape);
  expect(report.within10).toBe(r1.within10);
  expect(report.kendallTau).toBe(r1.kendallTau);
  expect(report.plain).toEqual(r1.plain);
  expect(report.predictor).toBe(r1.predictor);
  expect(r1.measuredMs).toEqual(report.archs.map((a) => a.measuredMs));
  expect(r1.predictedMs).toEqual(report.archs.map((a) => a.predictedMs));
  const entries = lutEntryMap(table);
  for (const [i, round] of report.rounds!.entries()) {
    expect(round.round).toBe(i + 1);
    expect(round.measuredMs).toHaveLength(report.samples);
    expect(round.measuredMs.every((m) => m > 0)).toBe(true);
    const measured = round.measuredMs;
    const pred = round.correctedMs ?? round.predictedMs;
    expect(fitFigures(pred, measured).mape).toBeCloseTo(round.mape, 9);
    expect(round.kendallTau).toBeCloseTo(kendallTauB(pred, measured), 12);
  }
  let outside = 0;
  for (const a of report.archs) {
    const def = archFromChoice(space, { ops: a.ops });
    const p = archLatency(table, def, { entries });
    // the returned table is round 1's: it reproduces round 1's predictions and spread band
    expect(a.predictedMs).toBeCloseTo(p.plainMs, 9);
    const [lo, hi] = spreadBand(p, entries, table.correction);
    expect(a.predictedLowMs).toBeCloseTo(lo, 9);
    expect(a.predictedHighMs).toBeCloseTo(hi, 9);
    expect(lo).toBeLessThanOrEqual(p.totalMs + 1e-9);
    expect(hi).toBeGreaterThanOrEqual(p.totalMs - 1e-9);
    expect(a.outsideSpread).toBe(a.measuredMs < lo || a.measuredMs > hi);
    if (a.outsideSpread) outside++;
    if (repeat > 1) {
      expect(a.measuredRoundsMs).toEqual(report.rounds!.map((r) => r.measuredMs[report.archs.indexOf(a)]));
      const ms = [...a.measuredRoundsMs!].sort((x, y) => x - y);
      expect(a.roundSpreadPct).toBeGreaterThanOrEqual(0);
      if (repeat === 2) expect(a.roundSpreadPct).toBeCloseTo((100 * (ms[1] - ms[0])) / ((ms[0] + ms[1]) / 2), 9);
    } else expect(a.measuredRoundsMs).toBeUndefined();
  }
  expect(report.outsideSpread).toEqual({ count: outside, share: outside / report.samples });
  expect(r1.outsideSpread).toBe(outside);
  if (repeat > 1) {
    const rep = report.repeatability!;
    expect(rep.rounds).toBe(repeat);
    expect(rep.pairs.map((p) => [p.a, p.b])).toEqual(Array.from({ length: repeat - 1 }, (_, k) => [1, k + 2]));
    for (const p of rep.pairs) {
      const a = report.rounds![0].measuredMs;
      const b = report.rounds![p.b - 1].measuredMs;
      expect(p.kendallTau).toBeCloseTo(kendallTauB(b, a), 12);
      expect(p.mape).toBeCloseTo(fitFigures(b, a).mape, 9);
      const ratios = b.map((m, i) => m / a[i]).sort((x, y) => x - y);
      expect(p.medianRatio).toBeGreaterThanOrEqual(ratios[0]);
      expect(p.medianRatio).toBeLessThanOrEqual(ratios.at(-1)!);
    }
    expect(rep.kendallTau).toBe(Math.min(...rep.pairs.map((p) => p.kendallTau)));
    expect(rep.mape).toBe(Math.max(...rep.pairs.map((p) => p.mape)));
    expect(rep.maxSpreadPct).toBe(Math.max(...report.archs.map((a) => a.roundSpreadPct!)));
    expect(rep.medianSpreadPct).toBeLessThanOrEqual(rep.maxSpreadPct);
  } else expect(report.repeatability).toBeUndefined();
  // the report survives its own file format
  expect(parseValidationReport(JSON.stringify(report))).toEqual(JSON.parse(JSON.stringify(report)));
}

describe('validateLut repeatability', () => {
  it('runs two validations by default: calibration nets once, validation nets in each round; round 1 is the headline', async () => {
    await backend.init();
    const before = tf.memory().numTensors;
    const lut = await measuredTable();
    const events: LutEvent[] = [];
    const { report, table } = await validateLut({ lut, samples: 5, calibrationSamples: 4, seed: 3 }, { backend, onEvent: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    events.forEach(assertSerializable);
    const measured = of(events, 'lut/arch-measured');
    expect(measured.filter((e) => e.phase === 'calibration').map((e) => e.round)).toEqual([1, 1, 1, 1]);
    expect(measured.filter((e) => e.phase === 'validation').map((e) => e.round)).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(of(events, 'lut/validation-round').map((e) => [e.round, e.of])).toEqual([[1, 2], [2, 2]]);
    expect(report.predictor).toBe('corrected');
    expect(report.lutHash).toMatch(/^[0-9a-f]{16}$/);
    // not concurrent: both rounds predict from the same table
    expect(report.rounds![1].predictedMs).toEqual(report.rounds![0].predictedMs);
    expect(report.rounds![1].correctedMs).toEqual(report.rounds![0].correctedMs);
    expectConsistent(report, table, 2);
    const text = formatValidationReport(report);
    expect(text).toMatch(/round 1 of 2/);
    expect(text).toMatch(/repeatability: measured latencies of rounds 2\.\.2 vs round 1/);
    expect(text).toMatch(/archs measured outside the band of their entries' p10\.\.p90/);
  });

  it('repeat 1 is a single validation (no repeatability block); repeat 3 compares rounds 2 and 3 with round 1', async () => {
    const lut = await measuredTable();
    const one = await validateLut({ lut, samples: 4, calibrationSamples: 0, repeat: 1 }, { backend });
    expect(one.report.predictor).toBe('plain');
    expectConsistent(one.report, one.table, 1);
    const three = await validateLut({ lut, samples: 4, calibrationSamples: 0, repeat: 3 }, { backend });
    expectConsistent(three.report, three.table, 3);
    // same seed, same archs, whatever the repeat count
    expect(three.report.archs.map((a) => a.ops)).toEqual(one.report.archs.map((a) => a.ops));
  });

  it('concurrent: every round re-times the table alongside its nets; the returned table is round 1', async () => {
    await backend.init();
    const before = tf.memory().numTensors;
    const lut = await measuredTable();
    const { report, table } = await validateLut({ lut, samples: 4, calibrationSamples: 3, concurrent: true }, { backend });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.concurrent).toBe(true);
    expect(table.entries.map((e) => e.key).sort()).toEqual(lut.entries.map((e) => e.key).sort());
    expectConsistent(report, table, 2);
    // the hash names the table as given, not the re-timed one
    expect((await validateLut({ lut, samples: 1, calibrationSamples: 0, repeat: 1 }, { backend })).report.lutHash).toBe(report.lutHash);
  });

  it('against: a later validation of the same table reports the drift of each arch measured in both', async () => {
    const lut = await measuredTable();
    const first = await validateLut({ lut, samples: 4, calibrationSamples: 0, repeat: 1, seed: 7 }, { backend });
    const path = join(mkdtempSync(join(tmpdir(), 'fbnet-lut-against-')), 'v1.json');
    writeFileSync(path, JSON.stringify(first.report));
    // samples and seed come from the earlier report
    const { report } = await validateLut({ lut, against: path, calibrationSamples: 0, repeat: 1 }, { backend });
    expect(report.seed).toBe(7);
    const d = report.drift!;
    expect(d.common).toBe(4);
    expect(d.sameTable).toBe(true);
    expect(d.warnings).toEqual([]);
    expect(d.minutesApart).toBeGreaterThanOrEqual(0);
    expect(d.earlier).toMatchObject({ createdAt: first.report.createdAt, mape: first.report.mape, kendallTau: first.report.kendallTau });
    expect(d.later).toMatchObject({ createdAt: report.createdAt, mape: report.mape });
    for (const [i, a] of d.archs.entries()) {
      expect(a.ops).toEqual(first.report.archs[i].ops);
      expect(a.earlierMs).toBe(first.report.archs[i].measuredMs);
      expect(a.laterMs).toBe(report.archs[i].measuredMs);
      expect(a.ratio).toBeCloseTo(a.laterMs / a.earlierMs, 12);
    }
    expect(d.kendallTau).toBeCloseTo(kendallTauB(d.archs.map((a) => a.earlierMs), d.archs.map((a) => a.laterMs)), 12);
    const sorted = d.archs.map((a) => a.ratio).sort((x, y) => x - y);
    expect(d.medianRatio).toBeCloseTo((sorted[1] + sorted[2]) / 2, 12);
    expect(formatValidationReport(report)).toMatch(/against the validation of \d+ min earlier \(4 archs in both, same table\)/);
    // another table (a re-measured entry) is named as such
    const other = { ...lut, entries: lut.entries.map((e, i) => (i === 0 ? { ...e, ms: e.ms * 2 } : e)) };
    const again = await validateLut({ lut: other, against: first.report, calibrationSamples: 0, repeat: 1 }, { backend });
    expect(again.report.drift!.sameTable).toBe(false);
    expect(again.report.drift!.warnings.join()).toMatch(/different tables/);
    // another calibration count now (the earlier run had none) still times the same validation archs
    const calibrated = await validateLut({ lut, against: first.report, calibrationSamples: 6, repeat: 1 }, { backend });
    expect(calibrated.report.drift!.common).toBe(4);
    expect(calibrated.report.archs.map((a) => a.ops)).toEqual(first.report.archs.map((a) => a.ops));
    await expect(validateLut({ lut, calibrationSamples: 0 }, { backend })).rejects.toThrow(/samples/);
  });
});

describe('spreadBand', () => {
  it('is the sum of every step at its p10 / p90 share, corrected like the prediction (hand-computed)', () => {
    const space = tinySpace();
    // fakeLut: p10 = 0.9 median, p90 = 1.1 median for every entry, so the band is exactly 0.9x..1.1x of the plain sum
    const lut = fakeLut(space);
    const entries = lutEntryMap(lut);
    const p = archLatency(lut, archFromChoice(space, { ops: [0, 1, 2, 0] }), { entries });
    const [lo, hi] = spreadBand(p, entries);
    expect(lo).toBeCloseTo(0.9 * p.plainMs, 12);
    expect(hi).toBeCloseTo(1.1 * p.plainMs, 12);
    const correction = { model: 'affine' as const, offsetMs: 0.5, scale: 2, opWeights: {}, calibration: { samples: 1, seed: 0, looMape: {}, plain: { mape: 0, within10: 1, kendallTau: 1 }, corrected: { mape: 0, within10: 1, kendallTau: 1 } }, fittedAt: '' };
    const [clo, chi] = spreadBand(p, entries, correction);
    expect(clo).toBeCloseTo(0.5 + 2 * 0.9 * p.plainMs, 12);
    expect(chi).toBeCloseTo(0.5 + 2 * 1.1 * p.plainMs, 12);
  });
});

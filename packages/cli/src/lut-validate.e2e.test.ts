import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FBNET_V1_CANDIDATES } from '@fbnet/core';
import { fbnetAsync } from './_cli-test-support.ts';

/** 8×8×1 input, 4 searchable layers of 3 candidates: measured and validated in seconds. */
function tinySpaceJson() {
  const { k3_e1, k3_e3, skip } = FBNET_V1_CANDIDATES;
  const candidates = ['k3_e1', 'k3_e3', 'skip'];
  return {
    version: 1,
    name: 'tiny-cli',
    input_size: 8,
    input_channels: 1,
    num_classes: 4,
    candidates: { k3_e1, k3_e3, skip },
    stages: [
      [{ fixed: ['conv_k3', 8, 2, 1] }],
      [{ searchable: { c: 8, s: 1, n: 1, candidates } }],
      [{ searchable: { c: 16, s: 2, n: 3, candidates } }],
      [{ fixed: ['conv_k1', 32, 1, 1] }],
    ],
  };
}

// Real measurements with a tiny budget; only structure and consistency are asserted, never a time.
describe('fbnet lut validate: repeats, --out, --against', () => {
  it('validates twice by default, writes the report, and a later run reports the drift against it', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-lut-cli-'));
    const space = join(dir, 'space.json');
    writeFileSync(space, JSON.stringify(tinySpaceJson()));
    const lut = join(dir, 'lut.json');
    const m = await fbnetAsync(['lut', 'measure', '--space', space, '--backend', 'cpu', '--out', lut, '--time-ms', '20', '--context', 'lockstep', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(readFileSync(lut, 'utf8')).timing.context).toBe('lockstep');

    const first = join(dir, 'validation-1.json');
    const v = await fbnetAsync(['lut', 'validate', '--lut', lut, '--samples', '4', '--calibration', '0', '--backend', 'cpu', '--out', first, '--json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.last);
    expect(report.kind).toBe('fbnet-lut-validation');
    expect(report.rounds).toHaveLength(2);
    expect(report.repeatability.pairs).toHaveLength(1);
    expect(report.mape).toBe(report.rounds[0].mape);
    expect(report.outsideSpread.count).toBe(report.archs.filter((a: { outsideSpread: boolean }) => a.outsideSpread).length);
    expect(JSON.parse(readFileSync(first, 'utf8'))).toEqual(report);
    expect(v.stderr).toMatch(/repeatability: measured latencies of rounds 2\.\.2 vs round 1/);
    expect(v.stderr).toMatch(/--against/);
    expect(v.stderr).toMatch(/round 1\/2: MAPE [\d.]+%.*\n(.*\n)*round 2\/2: MAPE/);

    const again = await fbnetAsync(['lut', 'validate', '--lut', lut, '--against', first, '--calibration', '0', '--repeat', '1', '--backend', 'cpu', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const later = JSON.parse(again.last);
    expect(later.rounds).toHaveLength(1);
    expect(later.repeatability).toBeUndefined();
    expect(later.drift).toMatchObject({ common: 4, sameTable: true, warnings: [] });
    expect(later.drift.earlier.createdAt).toBe(report.createdAt);
    expect(later.archs.map((a: { ops: number[] }) => a.ops)).toEqual(report.archs.map((a: { ops: number[] }) => a.ops));
    expect(again.stderr).toMatch(/against the validation of \d+ min earlier \(4 archs in both, same table\)/);

    const usage = await fbnetAsync(['lut', 'validate', '--lut', lut, '--json']);
    expect(usage.code).toBe(2);
    expect(usage.last).toMatch(/--samples is required \(or --against/);
    const missing = await fbnetAsync(['lut', 'validate', '--lut', lut, '--against', join(dir, 'nope.json'), '--backend', 'cpu', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.last).toMatch(/nope\.json/);
    const badContext = await fbnetAsync(['lut', 'measure', '--space', space, '--out', lut, '--context', 'sideways', '--json']);
    expect(badContext.code).toBe(2);
    expect(badContext.last).toMatch(/--context must be one of net, lockstep, isolated/);
  });
});

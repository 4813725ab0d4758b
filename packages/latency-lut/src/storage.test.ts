import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FbnetError } from '@fbnet/core';
import { assertLutDevice, fingerprintDifferences, planHash } from './device.ts';
import { parseLut } from './schema.ts';
import { loadSearchSpace } from './space-source.ts';
import { loadLut, saveLut } from './storage.ts';
import { FAKE_DEVICE, fakeLut, tinySpace } from './_test-fixtures.ts';

function expectFbnetError(fn: () => unknown, code: string, re: RegExp) {
  try {
    fn();
    expect.unreachable('should have thrown');
  } catch (e) {
    expect(e).toBeInstanceOf(FbnetError);
    expect((e as FbnetError).code).toBe(code);
    expect((e as Error).message).toMatch(re);
  }
}

const dir = () => mkdtempSync(join(tmpdir(), 'fbnet-lut-'));

describe('LUT storage', () => {
  it('round-trips through a file, written atomically (no temp file left behind)', async () => {
    const d = dir();
    const lut = fakeLut(tinySpace());
    await saveLut(join(d, 'lut.json'), lut);
    expect(readdirSync(d)).toEqual(['lut.json']);
    const back = loadLut(join(d, 'lut.json'));
    expect(back).toEqual(lut);
  });

  it('names the field of a malformed table', () => {
    const lut = JSON.parse(JSON.stringify(fakeLut(tinySpace())));
    lut.entries[3].medianMs = 'fast';
    expectFbnetError(() => parseLut(lut), 'FILE_INVALID', /entries\.3\.medianMs/);
    const b = JSON.parse(JSON.stringify(fakeLut(tinySpace())));
    delete b.device.cpuModel;
    expectFbnetError(() => parseLut(b), 'FILE_INVALID', /device\.cpuModel/);
    const c = JSON.parse(JSON.stringify(fakeLut(tinySpace())));
    c.entries[1].spec.nodes[0].kernel = 0;
    expectFbnetError(() => parseLut(c), 'FILE_INVALID', /entries\.1\.spec\.nodes\.0\.kernel/);
    const d = JSON.parse(JSON.stringify(fakeLut(tinySpace())));
    d.entries[0].surprise = 1;
    expectFbnetError(() => parseLut(d), 'FILE_INVALID', /entries\.0: unknown field\(s\) "surprise"/);
  });

  it('refuses corrupt JSON, another format version, a key that does not match its entry, duplicates', () => {
    const d = dir();
    writeFileSync(join(d, 'bad.json'), '{"kind": "fbnet-latency-lut", "entries": [');
    expectFbnetError(() => loadLut(join(d, 'bad.json')), 'FILE_INVALID', /bad\.json: not valid JSON/);
    expectFbnetError(() => loadLut(join(d, 'missing.json')), 'FILE_INVALID', /cannot read latency table .*missing\.json/);
    const lut = fakeLut(tinySpace());
    expectFbnetError(() => parseLut({ ...lut, version: 2 }), 'FILE_INVALID', /version: format version 2 is not supported/);
    const k = structuredClone(lut);
    k.entries[2].key = k.entries[3].key;
    expectFbnetError(() => parseLut(k), 'FILE_INVALID', /entries\.2\.key: .* does not match the entry's content/);
    const dup = structuredClone(lut);
    dup.entries.push(dup.entries[0]);
    expectFbnetError(() => parseLut(dup), 'FILE_INVALID', new RegExp(`entries\\.${dup.entries.length - 1}\\.key: duplicate key`));
    const q = structuredClone(lut);
    q.entries[0].p10Ms = 100;
    expectFbnetError(() => parseLut(q), 'FILE_INVALID', /entries\.0\.medianMs: expected p10Ms <= medianMs <= p90Ms/);
  });
});

describe('device fingerprint', () => {
  const other = { ...FAKE_DEVICE, cpuModel: 'Other CPU', backendVersion: '4.23.0' };

  it('refuses a table from another device, naming exactly the fields that differ', () => {
    const lut = fakeLut(tinySpace());
    expect(fingerprintDifferences(lut.device, other).map((d) => d.field)).toEqual(['cpuModel', 'backendVersion']);
    expectFbnetError(
      () => assertLutDevice(lut, other),
      'DEVICE_MISMATCH',
      /cpuModel: table "Test CPU 9000" vs this device "Other CPU"; backendVersion: table "4\.22\.0" vs this device "4\.23\.0"/,
    );
    try {
      assertLutDevice(lut, other);
    } catch (e) {
      expect((e as Error).message).not.toMatch(/cores|os:|runtime|planHash/);
    }
  });

  it('force uses it anyway and reports the differences; a matching device passes', () => {
    const lut = fakeLut(tinySpace());
    expect(assertLutDevice(lut, other, { force: true })).toHaveLength(2);
    expect(assertLutDevice(lut, { ...FAKE_DEVICE })).toEqual([]);
  });

  it('loadLut checks the device when given one', async () => {
    const d = dir();
    await saveLut(join(d, 'lut.json'), fakeLut(tinySpace()));
    expectFbnetError(() => loadLut(join(d, 'lut.json'), { device: other }), 'DEVICE_MISMATCH', /cpuModel/);
    expect(loadLut(join(d, 'lut.json'), { device: other, force: true }).entries.length).toBeGreaterThan(0);
  });

  it('the kernel plan hash is part of the fingerprint and ignores createdAt', () => {
    const plan = { version: 1 as const, device: { cpuModel: 'x', cores: 1, os: 'o', runtime: 'r', backend: 'wasm', backendVersion: 'v' }, createdAt: 'a', entries: [{ kernel: 'Conv2D', shape: 'a', variant: 'tfjs', medianMs: 0.1 }, { kernel: 'Conv2D', shape: 'b', variant: 'im2col', medianMs: 0.2 }], defaults: { Conv2D: 'tfjs' } };
    expect(planHash(undefined)).toBe('none');
    expect(planHash(plan)).toBe(planHash({ ...plan, createdAt: 'b' }));
    // timings are not decisions: a re-run of the kernel benchmark with the same outcome matches
    expect(planHash(plan)).toBe(planHash({ ...plan, entries: plan.entries.map((e) => ({ ...e, medianMs: e.medianMs * 1.3 })).reverse() }));
    expect(planHash(plan)).not.toBe(planHash({ ...plan, entries: plan.entries.map((e, i) => (i === 0 ? { ...e, variant: `${e.variant}-other` } : e)) }));
    expect(planHash(plan)).not.toBe(planHash({ ...plan, defaults: { Conv2D: 'im2col' } }));
    const lut = fakeLut(tinySpace(), { ...FAKE_DEVICE, planHash: planHash(plan) });
    expectFbnetError(() => assertLutDevice(lut, FAKE_DEVICE), 'DEVICE_MISMATCH', /planHash/);
  });

  it('the saved file is one table, readable JSON', async () => {
    const d = dir();
    await saveLut(join(d, 'lut.json'), fakeLut(tinySpace()));
    expect(JSON.parse(readFileSync(join(d, 'lut.json'), 'utf8')).kind).toBe('fbnet-latency-lut');
  });
});

describe('input size caps', () => {
  it('a table or search space over its cap is refused before it is read, naming the file and the cap', () => {
    const d = mkdtempSync(join(tmpdir(), 'fbnet-lut-cap-'));
    const lut = join(d, 'huge-lut.json');
    writeFileSync(lut, '');
    truncateSync(lut, 40 * 1024 * 1024);
    expectFbnetError(() => loadLut(lut), 'FILE_INVALID', new RegExp(`latency table ${lut} is 40 MiB, over the 32 MiB cap`));
    const space = join(d, 'huge-space.json');
    writeFileSync(space, '');
    truncateSync(space, 5 * 1024 * 1024);
    expectFbnetError(() => loadSearchSpace(space), 'FILE_INVALID', new RegExp(`search space ${space} is 5 MiB, over the 4 MiB cap`));
  });
});

describe('a table from another kernel build of the same machine', () => {
  it('is this device: the OS is compared as platform + architecture', () => {
    const lut = fakeLut(tinySpace());
    const table = { ...lut, device: { ...lut.device, os: 'linux 6.18.44-fc-v782 x64' } };
    expect(fingerprintDifferences(table.device, { ...lut.device, os: 'linux x64' })).toEqual([]);
    expect(fingerprintDifferences(table.device, { ...lut.device, os: 'linux 6.1.0-13 x64' })).toEqual([]);
    expect(fingerprintDifferences(table.device, { ...lut.device, os: 'darwin x64' }).map((d) => d.field)).toEqual(['os']);
    expect(() => assertLutDevice(table, { ...lut.device, os: 'linux arm64' })).toThrow(/os: table "linux 6.18.44-fc-v782 x64" vs this device "linux arm64"/);
  });
});

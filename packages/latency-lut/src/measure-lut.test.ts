import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { firstValueFrom, lastValueFrom, filter, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { archFromChoice, assertSerializable, FbnetError } from '@fbnet/core';
import type { LutEvent } from './events.ts';
import { measureLut } from './measure-lut.ts';
import { nodeFingerprint } from './node-device.ts';
import { archLatency } from './predict.ts';
import { loadLut } from './storage.ts';
import { spaceEntries } from './enumerate.ts';
import { validateLut } from './validate.ts';
import { stockCpuPlugin, stockWasmPlugin } from './_stock-plugins.ts';
import { FAKE_DEVICE, QUICK_TIMING, tinySpace } from './_test-fixtures.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'fbnet-lut-measure-'));
const run = (o: Parameters<typeof measureLut>[0], backend = stockCpuPlugin, device?: typeof FAKE_DEVICE) =>
  lastValueFrom(measureLut(o, { backend, device }).pipe(toArray()));
const of = <T extends LutEvent['type']>(evs: LutEvent[], t: T) => evs.filter((e): e is Extract<LutEvent, { type: T }> => e.type === t);

async function tensorsSettle(baseline: number): Promise<number> {
  for (let i = 0; i < 200 && tf.memory().numTensors !== baseline; i++) await new Promise((r) => setTimeout(r, 10));
  return tf.memory().numTensors;
}

describe('measureLut', () => {
  it.each([
    ['cpu', stockCpuPlugin],
    ['wasm', stockWasmPlugin],
  ] as const)('measures every distinct entry of a space once on %s, emits serializable events, leaks no tensor', async (_id, backend) => {
    await backend.init();
    const before = tf.memory().numTensors;
    const space = tinySpace();
    const evs = await run({ space, timing: QUICK_TIMING }, backend);
    expect(tf.memory().numTensors).toBe(before);
    evs.forEach(assertSerializable);
    const measured = of(evs, 'lut/entry-measured');
    expect(measured.map((e) => e.key).sort()).toEqual(spaceEntries(space).map((e) => e.key).sort());
    expect(measured.every((e) => e.samples >= 2 && e.p10Ms <= e.medianMs && e.medianMs <= e.p90Ms)).toBe(true);
    const progress = of(evs, 'stage/progress');
    expect(progress.at(-1)).toMatchObject({ done: measured.length, total: measured.length, etaSec: 0 });
    const [done] = of(evs, 'lut/completed');
    expect(done.table.device).toEqual(nodeFingerprint(backend));
    expect(done.table.device.backend).toBe(_id);
    expect(done.table.sources[0]).toMatchObject({ kind: 'space', name: 'tiny' });
    // the table answers LAT(a) for any arch of the space
    expect(archLatency(done.table, archFromChoice(space, { ops: [0, 1, 2, 0] })).plainMs).toBeGreaterThan(0);
  });

  it('measures the distinct blocks of a list of arch defs (shared blocks once)', async () => {
    const space = tinySpace();
    const a = archFromChoice(space, { ops: [0, 0, 0, 0] });
    const b = archFromChoice(space, { ops: [0, 0, 1, 1] });
    const evs = await run({ archs: [a, b], timing: QUICK_TIMING });
    // a: input, stem, 4 blocks (layers 2 and 3 identical), conv, head = 7 distinct; b adds one (k3_e3 at layers 2-3)
    expect(of(evs, 'lut/entry-measured')).toHaveLength(8);
    expect(of(evs, 'lut/completed')[0].table.sources[0].kind).toBe('archs');
  });

  it('resumes after an interruption: unsubscribing frees every tensor, a re-run measures only the missing entries', async () => {
    await stockCpuPlugin.init();
    const before = tf.memory().numTensors;
    const out = join(dir(), 'lut.json');
    const space = tinySpace();
    const first: string[] = [];
    await new Promise<void>((resolve) => {
      const sub = measureLut({ space, out, timing: { ...QUICK_TIMING, timeMs: 20 } }, { backend: stockCpuPlugin }).subscribe((e) => {
        if (e.type === 'lut/entry-measured') first.push(e.key);
        if (e.type === 'lut/saved' && e.entries === 4) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    expect(await tensorsSettle(before)).toBe(before);
    expect(first).toHaveLength(4);
    // a late save may land after unsubscribe; the file holds what was measured, at least the 4 seen
    const saved = loadLut(out);
    expect(saved.entries.slice(0, 4).map((e) => e.key)).toEqual(first);
    await expect(run({ space, out, timing: QUICK_TIMING })).rejects.toThrow(/exists: pass resume to continue it or force to overwrite it/);
    const evs = await run({ space, out, resume: true, timing: QUICK_TIMING });
    const [plan] = of(evs, 'lut/measure-planned');
    expect(plan.existing).toBe(saved.entries.length);
    expect(plan.toMeasure).toBe(13 - saved.entries.length);
    const again = of(evs, 'lut/entry-measured').map((e) => e.key);
    expect(again).toHaveLength(13 - saved.entries.length);
    for (const k of again) expect(saved.entries.map((e) => e.key)).not.toContain(k);
    const final = loadLut(out);
    expect(final.entries).toHaveLength(13);
    // existing entries are kept as they were
    expect(final.entries.slice(0, saved.entries.length)).toEqual(saved.entries);
    // nothing left: a third run measures nothing
    const idle = await run({ space, out, resume: true, timing: QUICK_TIMING });
    expect(of(idle, 'lut/entry-measured')).toHaveLength(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to resume a table from another device, naming the fields; force adopts it', async () => {
    const out = join(dir(), 'lut.json');
    const space = tinySpace();
    const small = archFromChoice(space, { ops: [2, 2, 2, 2] });
    await run({ archs: [small], out, timing: QUICK_TIMING }, stockCpuPlugin, FAKE_DEVICE);
    const err = await run({ space, out, resume: true, timing: QUICK_TIMING }).catch((e) => e);
    expect(err).toBeInstanceOf(FbnetError);
    expect(err.code).toBe('DEVICE_MISMATCH');
    expect(err.message).toMatch(/cpuModel: table "Test CPU 9000" vs this device/);
    expect(err.message).toMatch(/cores: table "4"/);
    const evs = await run({ space, out, resume: true, force: true, timing: QUICK_TIMING });
    const [plan] = of(evs, 'lut/measure-planned');
    expect(plan.existing).toBeGreaterThan(0);
    const lut = loadLut(out);
    expect(lut.device).toEqual(nodeFingerprint(stockCpuPlugin));
    expect(lut.sources.map((s) => s.kind)).toEqual(['archs', 'space']);
    expect(JSON.parse(readFileSync(out, 'utf8')).entries).toHaveLength(13);
  });

  it('can time entries alone (timing.context isolated) instead of inside nets', async () => {
    const space = tinySpace();
    const evs = await run({ space, timing: { ...QUICK_TIMING, context: 'isolated' } });
    const [done] = of(evs, 'lut/completed');
    expect(done.table.timing.context).toBe('isolated');
    expect(done.table.entries.map((e) => e.key)).toEqual(spaceEntries(space).map((e) => e.key));
  });

  it('says which backend is unavailable and why', async () => {
    const broken = { ...stockCpuPlugin, id: 'nope', availability: async () => ({ available: false as const, reason: 'no such device' }) };
    await expect(firstValueFrom(measureLut({ space: tinySpace() }, { backend: broken }))).rejects.toThrow(/backend "nope" is not available here: no such device/);
  });
});

describe('validateLut', () => {
  it('fits a correction on calibration archs disjoint from the validation ones and reports both predictors', async () => {
    const backend = stockCpuPlugin;
    await backend.init();
    const before = tf.memory().numTensors;
    const space = tinySpace();
    const [done] = of(await run({ space, timing: QUICK_TIMING }), 'lut/completed');
    const events: LutEvent[] = [];
    const { report, table } = await validateLut({ lut: done.table, samples: 6, calibrationSamples: 5, seed: 1 }, { backend, onEvent: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.samples).toBe(6);
    expect(report.calibrationSamples).toBe(5);
    expect(report.archs).toHaveLength(6);
    const cal = of(events, 'lut/arch-measured').filter((e) => e.phase === 'calibration').map((e) => e.name);
    for (const a of report.archs) expect(cal).not.toContain(a.name);
    expect(report.predictor).toBe('corrected');
    expect(report.corrected).toBeDefined();
    expect(report.mape).toBe(report.corrected!.mape);
    expect(report.plain.within10).toBeGreaterThanOrEqual(0);
    expect(table.correction?.calibration.samples).toBe(5);
    for (const a of report.archs) expect(a.correctedMs).toBeCloseTo(archLatency(table, archFromChoice(space, { ops: a.ops })).correctedMs!, 6);
    assertSerializable({ type: 'x', report } as never);
    // a foreign table is refused before anything is measured
    await expect(validateLut({ lut: { ...table, device: FAKE_DEVICE }, samples: 2 }, { backend })).rejects.toThrow(/DEVICE|cpuModel: table "Test CPU 9000"/);
    const forced = await validateLut({ lut: { ...table, device: FAKE_DEVICE }, samples: 2, force: true }, { backend });
    expect(forced.report.forcedDifferences?.map((d) => d.field)).toContain('cpuModel');
    expect(forced.report.calibrationSamples).toBe(0);
  });

  it('concurrent: re-times the table alongside the nets and reports against the fresh entries', async () => {
    const backend = stockCpuPlugin;
    await backend.init();
    const before = tf.memory().numTensors;
    const space = tinySpace();
    const [done] = of(await run({ space, timing: QUICK_TIMING }), 'lut/completed');
    const { report, table } = await validateLut({ lut: done.table, samples: 4, calibrationSamples: 3, concurrent: true }, { backend });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.concurrent).toBe(true);
    expect(report.archs).toHaveLength(4);
    expect(table.entries).toHaveLength(done.table.entries.length);
    expect(table.entries.map((e) => e.key).sort()).toEqual(done.table.entries.map((e) => e.key).sort());
    expect(table.updatedAt >= done.table.updatedAt).toBe(true);
    for (const a of report.archs) expect(a.predictedMs).toBeCloseTo(archLatency(table, archFromChoice(space, { ops: a.ops }), { corrected: false }).plainMs, 9);
  });
});

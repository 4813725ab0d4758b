import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { assertSerializable, FbnetError, runStage, stagesSettled, type EventBase, type StageContext, type StageRun } from '@fbnet/core';
import { spaceEntries } from './enumerate.ts';
import { measureLutStage, type MeasureLutStageInput } from './measure-lut-stage.ts';
import { nodeFingerprint } from './node-device.ts';
import { loadLut, saveLut } from './storage.ts';
import { stockCpuPlugin } from './_stock-plugins.ts';
import { fakeLut, QUICK_TIMING, tinySpace } from './_test-fixtures.ts';

/** A run directory as the stage sees it (the stage only places its table with `file`). */
function tempRun(): StageRun {
  const path = mkdtempSync(join(tmpdir(), 'fbnet-lut-stage-'));
  const file = (name: string) => join(path, name);
  return {
    path,
    file,
    readJson: <T>(name: string) => (existsSync(file(name)) ? (JSON.parse(readFileSync(file(name), 'utf8')) as T) : undefined),
    writeJson: (name, value) => (writeFileSync(file(name), JSON.stringify(value)), file(name)),
    appendEvent: () => undefined,
    saveCheckpoint: () => {
      throw new Error('the latency-lut stage keeps its state in its table file');
    },
    loadCheckpoint: () => {
      throw new Error('the latency-lut stage keeps its state in its table file');
    },
  };
}

const ctxOf = (run?: StageRun): StageContext => ({ seed: 1, backend: { id: 'cpu', plugin: stockCpuPlugin }, ...(run ? { run } : {}) });
const input = (o: Partial<MeasureLutStageInput> = {}): MeasureLutStageInput => ({ space: tinySpace(), timing: QUICK_TIMING, ...o });

describe('measureLutStage', () => {
  it('cancelled after 4 entries: stops within one entry (file final, no tensor left); rerun measures only the rest and ends with the uninterrupted table’s entries', async () => {
    await stockCpuPlugin.init();
    const before = tf.memory().numTensors;
    const keys = spaceEntries(tinySpace()).map((e) => e.key);
    // Entries timed one at a time (isolated, groups of 1), so a cancellation lands between two entries.
    const one = (o: Partial<MeasureLutStageInput> = {}) => input({ timing: { ...QUICK_TIMING, context: 'isolated' }, groupSize: 1, ...o });

    const runA = tempRun();
    const eventsA: EventBase[] = [];
    const a = await runStage(measureLutStage(one(), ctxOf(runA)), { onEvent: (e) => eventsA.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    eventsA.forEach((e) => assertSerializable(e));
    expect(eventsA.filter((e) => e.type === 'stage/started')).toHaveLength(1);
    expect(eventsA.find((e) => e.type === 'lut/completed')).toEqual({ type: 'lut/completed', path: runA.file('lut.json'), measured: keys.length, reused: 0, elapsedSec: expect.any(Number) });
    expect(eventsA.at(-1)).toEqual({ type: 'stage/result', stage: 'latency-lut', result: a });
    expect(a).toMatchObject({ path: 'lut.json', measured: keys.length, reused: 0 });
    expect(a.table.entries.map((e) => e.key).sort()).toEqual([...keys].sort());
    expect(a.table.device).toEqual(nodeFingerprint(stockCpuPlugin));
    expect(loadLut(runA.file('lut.json'))).toEqual(a.table);

    const runB = tempRun();
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const sub = measureLutStage(one({ timing: { ...QUICK_TIMING, context: 'isolated', timeMs: 20 } }), ctxOf(runB)).subscribe({
        next: (e) => {
          if (e.type === 'lut/entry-measured') seen.push(e.key);
          if (e.type === 'lut/saved' && e.entries === 4) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
        complete: () => reject(new Error('finished before it was cancelled')),
      });
    });
    await stagesSettled();
    // Settled means stopped: the tensors of the entry being timed are freed and the file's last save has landed.
    expect(tf.memory().numTensors).toBe(before);
    const text = readFileSync(runB.file('lut.json'), 'utf8');
    await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(runB.file('lut.json'), 'utf8')).toBe(text);
    const partial = loadLut(runB.file('lut.json'));
    expect(seen).toHaveLength(4);
    // Within one entry: the fifth, being timed when the subscriber left, was abandoned.
    expect(partial.entries.map((e) => e.key)).toEqual(seen);

    const eventsB: EventBase[] = [];
    const b = await runStage(measureLutStage(one(), ctxOf(runB)), { onEvent: (e) => eventsB.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    expect(b).toMatchObject({ path: 'lut.json', reused: partial.entries.length, measured: keys.length - partial.entries.length });
    const again = eventsB.filter((e) => e.type === 'lut/entry-measured').map((e) => (e as unknown as { key: string }).key);
    for (const k of again) expect(partial.entries.map((e) => e.key)).not.toContain(k);
    // The entries measured before the cancellation are kept as they were; the table covers what the uninterrupted one does.
    expect(b.table.entries.slice(0, partial.entries.length)).toEqual(partial.entries);
    expect(b.table.entries.map((e) => e.key).sort()).toEqual(a.table.entries.map((e) => e.key).sort());
    expect(b.table.sources).toEqual(a.table.sources);
    expect(b.table.device).toEqual(a.table.device);
    expect(loadLut(runB.file('lut.json'))).toEqual(b.table);

    // Finished: a third run measures nothing.
    const idle = await runStage(measureLutStage(one(), ctxOf(runB)));
    expect(idle).toMatchObject({ measured: 0, reused: keys.length });
    expect(idle.table.entries).toEqual(b.table.entries);
  });

  it('reuses a table of this device without measuring; refuses one of another device unless forced', async () => {
    const space = tinySpace();
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-lut-reuse-'));
    const mine = fakeLut(space, nodeFingerprint(stockCpuPlugin));
    await saveLut(join(dir, 'mine.json'), mine);
    const run = tempRun();
    const r = await runStage(measureLutStage(input({ reuse: join(dir, 'mine.json') }), ctxOf(run)));
    expect(r).toMatchObject({ path: 'lut.json', measured: 0, reused: mine.entries.length });
    expect(r.table.entries).toEqual(mine.entries);
    expect(loadLut(run.file('lut.json')).entries).toEqual(mine.entries);

    await saveLut(join(dir, 'foreign.json'), fakeLut(space));
    const err = await runStage(measureLutStage(input({ reuse: join(dir, 'foreign.json') }), ctxOf(tempRun()))).catch((e) => e);
    expect(err).toBeInstanceOf(FbnetError);
    expect(err.code).toBe('DEVICE_MISMATCH');
    const forced = await runStage(measureLutStage(input({ reuse: join(dir, 'foreign.json'), force: true }), ctxOf(tempRun())));
    expect(forced).toMatchObject({ measured: 0, reused: mine.entries.length });
    expect(forced.table.device).toEqual(nodeFingerprint(stockCpuPlugin));
  });

  it('without a run it measures in memory (no path); without a plugin it is a usage error', async () => {
    const r = await runStage(measureLutStage(input(), ctxOf()));
    expect(r.path).toBeUndefined();
    expect(r.measured).toBe(spaceEntries(tinySpace()).length);
    await expect(runStage(measureLutStage(input(), { seed: 1, backend: { id: 'cpu' } }))).rejects.toThrow(/needs the backend plugin of "cpu"/);
  });
});

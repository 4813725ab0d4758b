import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { archSteps, spaceEntries } from './enumerate.ts';
import type { LutEvent } from './events.ts';
import { planSpaceContexts } from './context-plan.ts';
import { ContextUnit } from './measure-context.ts';
import { measureLut } from './measure-lut.ts';
import { loadLut, saveLut } from './storage.ts';
import { runInterleaved } from './timing-units.ts';
import { resolveTiming } from './timing.ts';
import { validateLut } from './validate.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stockCpuPlugin } from './_stock-plugins.ts';
import { QUICK_TIMING, tinySpace } from './_test-fixtures.ts';

// Real measurements, tiny budget: only structure and the arithmetic that ties entries to their net are asserted.
const backend = stockCpuPlugin;

describe("timing.context 'lockstep'", () => {
  it("a context's entries add up to its Net.forward median of the round they come from", async () => {
    await backend.init();
    const before = tf.memory().numTensors;
    const space = tinySpace();
    const timing = resolveTiming({ ...QUICK_TIMING, context: 'lockstep' });
    const plan = planSpaceContexts(space, new Set(spaceEntries(space).map((e) => e.key)));
    // the first context owns every step it has
    const unit = new ContextUnit(plan.contexts[0], timing, false, 0);
    try {
      await runInterleaved([unit]);
      expect(unit.totals.length).toBeGreaterThanOrEqual(timing.rounds);
      expect(unit.scales).toHaveLength(unit.totals.length);
      const quietest = unit.totals.indexOf(Math.min(...unit.totals));
      const entries = new Map(unit.entries().map((e) => [e.key, e]));
      const steps = archSteps(plan.contexts[0].arch);
      const sum = steps.reduce((a, s) => a + entries.get(s.key)!.ms, 0);
      expect(sum).toBeCloseTo(unit.totals[quietest], 9);
      for (const e of entries.values()) expect(e.netScale).toBe(unit.scales[quietest]);
    } finally {
      unit.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('measureLut stores the timing mode and every entry with its spread, sample count and scale; the file reads back', async () => {
    const space = tinySpace();
    const evs: LutEvent[] = await lastValueFrom(measureLut({ space, timing: { ...QUICK_TIMING, context: 'lockstep' } }, { backend }).pipe(toArray()));
    const done = evs.find((e): e is Extract<LutEvent, { type: 'lut/completed' }> => e.type === 'lut/completed')!;
    const lut = done.table;
    expect(lut.timing.context).toBe('lockstep');
    expect(lut.entries.map((e) => e.key).sort()).toEqual(spaceEntries(space).map((e) => e.key).sort());
    const plan = planSpaceContexts(space, new Set(lut.entries.map((e) => e.key)));
    for (const c of plan.contexts) {
      const scales = new Set(c.owned.map((k) => lut.entries.find((e) => e.key === k)!.netScale));
      // one factor per context (its quietest round), positive
      expect(scales.size).toBe(1);
      expect([...scales][0]).toBeGreaterThan(0);
    }
    for (const e of lut.entries) {
      expect(e.samples).toBeGreaterThan(0);
      expect(e.p10Ms).toBeLessThanOrEqual(e.medianMs);
      expect(e.medianMs).toBeLessThanOrEqual(e.p90Ms);
    }
    const path = join(mkdtempSync(join(tmpdir(), 'fbnet-lut-lockstep-')), 'lut.json');
    await saveLut(path, lut);
    expect(loadLut(path)).toEqual(lut);
    // validated concurrently, the entries are re-timed the same way
    const { report, table } = await validateLut({ lut, samples: 3, calibrationSamples: 0, concurrent: true }, { backend });
    expect(report.timing.context).toBe('lockstep');
    expect(report.rounds).toHaveLength(2);
    expect(table.entries.every((e) => e.netScale !== undefined)).toBe(true);
  });
});

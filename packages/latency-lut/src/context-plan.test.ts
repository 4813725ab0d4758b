import { describe, expect, it } from 'vitest';
import { archFromChoice, getSearchSpacePreset } from '@fbnet/core';
import { planArchContexts, planSpaceContexts } from './context-plan.ts';
import { archSteps, spaceEntries } from './enumerate.ts';
import { tinySpace } from './_test-fixtures.ts';

describe('context plan (entries timed inside whole nets)', () => {
  it('covers every entry of a V1 space with one arch per candidate index; each entry owned once', () => {
    for (const [space, n] of [[tinySpace(), 3], [getSearchSpacePreset('fbnet-v1-fmnist'), 9], [getSearchSpacePreset('fbnet-v1-imagenet'), 9]] as const) {
      const all = spaceEntries(space).map((e) => e.key);
      const plan = planSpaceContexts(space, new Set(all));
      expect(plan.contexts).toHaveLength(n);
      const owned = plan.contexts.flatMap((c) => c.owned);
      expect(owned.sort()).toEqual([...all].sort());
      for (const c of plan.contexts) {
        const keys = new Set(archSteps(c.arch).map((s) => s.key));
        for (const k of c.owned) expect(keys.has(k)).toBe(true);
      }
    }
  });

  it('plans only what is left when resuming', () => {
    const space = tinySpace();
    const skipOnly = spaceEntries(space).filter((e) => e.key.startsWith('block:skip'));
    const plan = planSpaceContexts(space, new Set(skipOnly.map((e) => e.key)));
    expect(plan.contexts).toHaveLength(1);
    expect(plan.contexts[0].owned.sort()).toEqual(skipOnly.map((e) => e.key).sort());
  });

  it('uses the given archs for an arch list, skipping those with nothing left to measure', () => {
    const space = tinySpace();
    const a = archFromChoice(space, { ops: [0, 0, 0, 0] });
    const b = archFromChoice(space, { ops: [0, 0, 0, 0] });
    const c = archFromChoice(space, { ops: [1, 1, 1, 1] });
    const todo = new Set([...archSteps(a), ...archSteps(c)].map((s) => s.key));
    const plan = planArchContexts([a, b, c], todo);
    expect(plan.contexts.map((x) => x.arch)).toEqual([a, c]);
    expect(() => planArchContexts([a], new Set(['block:nope@1x1x1']))).toThrow(/1 entr\(y\|ies\) are in none of the arch defs/);
  });
});

describe('splitRound (entries add up to a typical whole-net iteration)', () => {
  it('shares are step means over the central half of iterations by whole-net time; a hiccup counts where it lands', async () => {
    const { splitRound } = await import('./measure-context.ts');
    const steps = [
      { key: 'a', head: false },
      { key: 'b', head: false },
      { key: 'a', head: false },
      { key: 'h', head: true },
    ];
    // 8 iterations; iteration 7 has a large hiccup in step b (outside the central half)
    const rows = Array.from({ length: 8 }, (_, i) => ({ t: [1, 2 + (i === 7 ? 50 : i % 2 ? 0.4 : 0), 1, 0.5], sync: [0, 0, 0, 0.1] }));
    const { perKey, totalMedianMs } = splitRound(steps, rows, false);
    // totals: 4.6 (even i), 5.0 (odd i), 54.6 (i = 7): quartiles 4.6 .. 5.0 -> band = all but i = 7
    expect(totalMedianMs).toBeCloseTo(4.8, 12);
    const band = [0, 1, 2, 3, 4, 5, 6];
    const meanB = band.reduce((s, i) => s + 2 + (i % 2 ? 0.4 : 0), 0) / band.length;
    expect(perKey.get('b')!.share).toBeCloseTo(meanB, 12);
    expect(perKey.get('a')!.share).toBeCloseTo(1, 12); // two occurrences, per occurrence
    expect(perKey.get('h')!.share).toBeCloseTo(0.6, 12); // head carries the read-back
    const sum = 2 * perKey.get('a')!.share! + perKey.get('b')!.share! + perKey.get('h')!.share!;
    expect(sum).toBeCloseTo(band.reduce((s, i) => s + 4.6 + (i % 2 ? 0.4 : 0), 0) / band.length, 12);
    expect(perKey.get('a')!.samples).toHaveLength(16);
    expect(perKey.get('h')!.syncs).toEqual(Array(8).fill(0.1));
    expect(perKey.get('b')!.syncs).toEqual([]);
  });
});

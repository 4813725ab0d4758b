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

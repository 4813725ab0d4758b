import { describe, expect, it, vi, type Mock } from 'vitest';
import { PluginRegistry, type Availability, type BackendPlugin } from '@fbnet/core';
import { chooseBackend, type CandidateProbe } from './auto-select.ts';
import { registerBuiltinPlugins } from './plugins.ts';

function fake(id: string, availability: () => Promise<Availability>): BackendPlugin & { dispose: Mock<() => void> } {
  return {
    id,
    tfBackend: 'cpu',
    description: `fake ${id}`,
    availability,
    init: async () => {},
    variants: () => [],
    version: () => '0',
    dispose: vi.fn<() => void>(),
  };
}

describe('chooseBackend (--backend auto)', () => {
  it('measures every available plugin, picks the lowest score and records every candidate', async () => {
    const r = new PluginRegistry();
    const plugins = {
      slow: fake('slow', async () => ({ available: true })),
      fast: fake('fast', async () => ({ available: true })),
      off: fake('off', async () => ({ available: false, reason: 'no GPU here' })),
      throws: fake('throws', async () => {
        throw new Error('driver exploded');
      }),
      crash: fake('crash', async () => ({ available: true })),
    };
    for (const [id, p] of Object.entries(plugins)) r.register(id, async () => p);
    r.register('missing', async () => {
      throw new Error("Cannot find module 'nope'");
    });
    const figures: Record<string, { inferMs: number; trainStepMs: number }> = {
      slow: { inferMs: 2, trainStepMs: 30 },
      fast: { inferMs: 3, trainStepMs: 10 },
    };
    const probe = vi.fn<CandidateProbe>(async (p) => {
      if (p.id === 'crash') throw new Error('kernel failed');
      return figures[p.id];
    });
    const choice = await chooseBackend({ registry: r, probe });
    expect(choice.chosen).toBe('fast');
    expect(probe.mock.calls.map(([p]) => p.id)).toEqual(['slow', 'fast', 'crash']);
    expect(choice.candidates).toEqual([
      { id: 'slow', available: true, inferMs: 2, trainStepMs: 30, score: 32 },
      { id: 'fast', available: true, inferMs: 3, trainStepMs: 10, score: 13 },
      { id: 'off', available: false, reason: 'no GPU here' },
      { id: 'throws', available: false, reason: 'availability check threw: driver exploded' },
      { id: 'crash', available: false, reason: 'benchmark failed: kernel failed' },
      { id: 'missing', available: false, reason: "failed to load: Cannot find module 'nope'" },
    ]);
    expect(choice.reason).toMatch(/^fast 3\.00 \+ 10\.0 ms \(fastest\); slow 2\.00 \+ 30\.0 ms; off unavailable \(no GPU here\)/);
    expect(choice.reason).toContain('missing unavailable (failed to load');
    // Each measured plugin is released so the next one (and the winner's setup) starts clean.
    expect(plugins.slow.dispose).toHaveBeenCalledTimes(1);
    expect(plugins.crash.dispose).toHaveBeenCalledTimes(1);
    expect(plugins.off.dispose).not.toHaveBeenCalled();
    expect(JSON.parse(JSON.stringify(choice))).toEqual(choice);
  });

  it('fails with every reason when nothing can run', async () => {
    const r = new PluginRegistry();
    r.register('off', async () => fake('off', async () => ({ available: false, reason: 'no GPU here' })));
    await expect(chooseBackend({ registry: r, probe: async () => ({ inferMs: 1, trainStepMs: 1 }) })).rejects.toThrow(
      /no plugin can run here: off unavailable \(no GPU here\)/,
    );
  });

  it('the default probe benchmarks real plugins (cpu) and reports why an absent one was skipped', async () => {
    const r = new PluginRegistry();
    registerBuiltinPlugins(r);
    const choice = await chooseBackend({ registry: r, ids: ['cpu', 'node-gpu'] });
    expect(choice.chosen).toBe('cpu');
    const cpu = choice.candidates[0];
    expect(cpu.available && cpu.inferMs > 0 && cpu.trainStepMs > 0).toBe(true);
    expect(choice.candidates[1]).toMatchObject({ id: 'node-gpu' });
    expect(choice.reason).toMatch(/^cpu [\d.]+ \+ [\d.]+ ms \(fastest\); node-gpu /);
  });
});

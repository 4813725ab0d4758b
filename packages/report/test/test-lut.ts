import type { ArchDef } from '@fbnet/core';
import type { LatencyTable } from '@fbnet/latency-lut';
import { syntheticLut } from '@fbnet/latency-lut/testing';
import { archCost } from '@fbnet/shape-propagation';

/*
 * A latency table (lut.json) that prices a given set of archs: one entry per distinct step
 * (input, block at its input shape, head), with a plausible median growing with the block's
 * FLOPs. Deterministic: the same archs give the same table.
 */
export function fixtureLut(archs: readonly ArchDef[], sources: LatencyTable['sources'] = []): LatencyTable {
  const costs = new Map<ArchDef, ReturnType<typeof archCost>>();
  return syntheticLut(
    archs,
    (s, arch) => {
      const cost = costs.get(arch) ?? (costs.set(arch, archCost(arch)), costs.get(arch)!);
      const flops = typeof s.role === 'number' ? cost.blocks[s.role].flops : s.role === 'head' ? cost.flops - cost.blocks.reduce((a, b) => a + b.flops, 0) : 0;
      return { medianMs: (s.op === 'skip' ? 0.004 : 0.02) + flops / 4e6, syncMs: s.role === 'head' ? 0.01 : 0 };
    },
    {
      createdAt: '2026-11-29T09:00:00.000Z',
      updatedAt: '2026-11-29T09:05:00.000Z',
      device: { cpuModel: 'Synthetic CPU <x86_64> @ 3.0GHz', cores: 2, os: 'linux 6.1', runtime: 'node 20.20.2', backend: 'wasm', backendVersion: '4.22.0', planHash: 'abc123' },
      sources,
      measureSec: 12.5,
    },
  );
}

import type { ArchDef } from '@fbnet/core';
import type { LatencyTable } from '@fbnet/latency-lut';
import { syntheticLut } from '@fbnet/latency-lut/testing';
import { archCost } from '@fbnet/shape-propagation';

/** A deterministic latency table pricing every step of the given archs (median grows with the block's FLOPs; ops differ). */
export function tableFor(archs: readonly ArchDef[]): LatencyTable {
  const costs = new Map<ArchDef, ReturnType<typeof archCost>>();
  const costOf = (a: ArchDef) => costs.get(a) ?? (costs.set(a, archCost(a)), costs.get(a)!);
  return syntheticLut(archs, (s, arch) => {
    const flops = typeof s.role === 'number' ? costOf(arch).blocks[s.role].flops : 0;
    // Large kernels are slow out of proportion to their FLOPs: latency ranks differently from FLOPs.
    return { medianMs: (s.op === 'skip' ? 0.004 : 0.02) + (flops / 4e6) * (/k5/.test(s.op) ? 3 : 1) };
  });
}

import type { ArchDef } from '@fbnet/core';
import { archSteps, entryOpType, type LatencyTable, type LutEntry } from '@fbnet/latency-lut';
import { archCost } from '@fbnet/shape-propagation';

/** A deterministic latency table pricing every step of the given archs (median grows with the block's FLOPs; ops differ). */
export function tableFor(archs: readonly ArchDef[]): LatencyTable {
  const entries = new Map<string, LutEntry>();
  for (const arch of archs) {
    const cost = archCost(arch);
    for (const s of archSteps(arch)) {
      if (entries.has(s.key)) continue;
      const flops = typeof s.role === 'number' ? cost.blocks[s.role].flops : 0;
      // Large kernels are slow out of proportion to their FLOPs: latency ranks differently from FLOPs.
      const m = (s.op === 'skip' ? 0.004 : 0.02) + flops / 4e6 * (/k5/.test(s.op) ? 3 : 1);
      const stats = { medianMs: m, p10Ms: m * 0.92, p90Ms: m * 1.15, samples: 40, syncMs: 0, ms: m };
      const c = s.config;
      const opType = entryOpType(c);
      const e: LutEntry =
        c.kind === 'block'
          ? { kind: 'block', key: s.key, opType, input: c.input, output: s.output, spec: c.spec, ...stats }
          : c.kind === 'head'
            ? { kind: 'head', key: s.key, opType, input: c.input, numClasses: c.numClasses, ...stats }
            : { kind: 'input', key: s.key, opType, input: c.input, ...stats };
      entries.set(s.key, e);
    }
  }
  return {
    kind: 'fbnet-latency-lut',
    version: 1,
    createdAt: '2026-12-04T09:00:00.000Z',
    updatedAt: '2026-12-04T09:00:00.000Z',
    device: { cpuModel: 'Synthetic CPU', cores: 2, os: 'linux', runtime: 'node 20', backend: 'wasm', backendVersion: '4.22.0', planHash: 'abc123' },
    timing: { method: 'tinybench', batch: 1, timeMs: 200, warmupMs: 50, minSamples: 40, warmupSamples: 8, rounds: 3, maxRounds: 8, agreement: 0.03, context: 'net' },
    sources: [],
    entries: [...entries.values()],
    measureSec: 1,
  } as LatencyTable;
}

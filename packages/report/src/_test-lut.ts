import type { ArchDef } from '@fbnet/core';
import { archSteps, entryOpType, type LatencyTable, type LutEntry } from '@fbnet/latency-lut';
import { archCost } from '@fbnet/shape-propagation';

/*
 * A latency table (lut.json) that prices a given set of archs: one entry per distinct step
 * (input, block at its input shape, head), with a plausible median growing with the block's
 * FLOPs. Deterministic: the same archs give the same table.
 */
export function fixtureLut(archs: readonly ArchDef[], sources: LatencyTable['sources'] = []): LatencyTable {
  const entries = new Map<string, LutEntry>();
  for (const arch of archs) {
    const cost = archCost(arch);
    for (const s of archSteps(arch)) {
      if (entries.has(s.key)) continue;
      const flops = typeof s.role === 'number' ? cost.blocks[s.role].flops : s.role === 'head' ? cost.flops - cost.blocks.reduce((a, b) => a + b.flops, 0) : 0;
      const m = (s.op === 'skip' ? 0.004 : 0.02) + flops / 4e6;
      const stats = { medianMs: m, p10Ms: m * 0.92, p90Ms: m * 1.15, samples: 40, syncMs: s.role === 'head' ? 0.01 : 0, ms: m + (s.role === 'head' ? 0.01 : 0) };
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
    createdAt: '2026-11-29T09:00:00.000Z',
    updatedAt: '2026-11-29T09:05:00.000Z',
    device: { cpuModel: 'Synthetic CPU <x86_64> @ 3.0GHz', cores: 2, os: 'linux 6.1', runtime: 'node 20.20.2', backend: 'wasm', backendVersion: '4.22.0', planHash: 'abc123' },
    timing: { method: 'tinybench', batch: 1, timeMs: 200, warmupMs: 50, minSamples: 40, warmupSamples: 8, rounds: 3, maxRounds: 8, agreement: 0.03, context: 'net' },
    sources,
    entries: [...entries.values()],
    measureSec: 12.5,
  } as LatencyTable;
}

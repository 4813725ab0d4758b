import type { ArchDef } from '@fbnet/core';
import { archSteps, type ArchStep } from './enumerate.ts';
import { entryOpType } from './block-key.ts';
import type { LatencyTable, LutEntry } from './schema.ts';

/** A synthetic step price: the median, and a host sync added to `ms` (heads). */
export interface SyntheticPrice {
  medianMs: number;
  syncMs?: number;
}

/**
 * Tests only: a valid latency table pricing every distinct step (input, block at its input
 * shape, head) of the given archs with `price`; p10/p90 spread around the median, 40 samples.
 * Deterministic: the same archs and prices give the same table.
 */
export function syntheticLut(
  archs: readonly ArchDef[],
  price: (step: ArchStep, arch: ArchDef) => SyntheticPrice,
  meta: Partial<Pick<LatencyTable, 'createdAt' | 'updatedAt' | 'device' | 'sources' | 'measureSec'>> = {},
): LatencyTable {
  const entries = new Map<string, LutEntry>();
  for (const arch of archs) {
    for (const s of archSteps(arch)) {
      if (entries.has(s.key)) continue;
      const { medianMs: m, syncMs = 0 } = price(s, arch);
      const stats = { medianMs: m, p10Ms: m * 0.92, p90Ms: m * 1.15, samples: 40, syncMs, ms: m + syncMs };
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
    createdAt: meta.createdAt ?? '2026-12-04T09:00:00.000Z',
    updatedAt: meta.updatedAt ?? '2026-12-04T09:00:00.000Z',
    device: meta.device ?? { cpuModel: 'Synthetic CPU', cores: 2, os: 'linux', runtime: 'node 20', backend: 'wasm', backendVersion: '4.22.0', planHash: 'abc123' },
    timing: { method: 'tinybench', batch: 1, timeMs: 200, warmupMs: 50, minSamples: 40, warmupSamples: 8, rounds: 3, maxRounds: 8, agreement: 0.03, context: 'net' },
    sources: meta.sources ?? [],
    entries: [...entries.values()],
    measureSec: meta.measureSec ?? 1,
  } as LatencyTable;
}

/** Test fixtures: a tiny V1-style space and tables with made-up latencies. */
import { FBNET_V1_CANDIDATES, parseSearchSpace, type SearchSpace } from '@fbnet/core';
import { spaceEntries } from './enumerate.ts';
import { blockOutputShape } from './block-key.ts';
import { hashJson } from './hash.ts';
import { LUT_FORMAT_VERSION, LUT_KIND, makeEntry, type LatencyTable, type LutDevice } from './schema.ts';
import { resolveTiming } from './timing.ts';

/** 8x8x1 input, stride-2 stem, 4 searchable layers of 3 candidates (the last two identical), a 1x1 conv, 4 classes. */
export function tinySpace(): SearchSpace {
  const { k3_e1, k3_e3, skip } = FBNET_V1_CANDIDATES;
  const cands = ['k3_e1', 'k3_e3', 'skip'];
  return parseSearchSpace({
    version: 1,
    name: 'tiny',
    input_size: 8,
    input_channels: 1,
    num_classes: 4,
    candidates: { k3_e1, k3_e3, skip },
    stages: [
      [{ fixed: ['conv_k3', 8, 2, 1] }],
      [{ searchable: { c: 8, s: 1, n: 1, candidates: cands } }],
      [{ searchable: { c: 16, s: 2, n: 3, candidates: cands } }],
      [{ fixed: ['conv_k1', 32, 1, 1] }],
    ],
  });
}

export const FAKE_DEVICE: LutDevice = {
  cpuModel: 'Test CPU 9000',
  cores: 4,
  os: 'testos 1.0 x64',
  runtime: 'node 20.0.0',
  backend: 'cpu',
  backendVersion: '4.22.0',
  planHash: 'none',
};

/** A table for `space` whose entry i has median 1 + i ms (p10/p90 = ±10%), sync 0.01 ms. */
export function fakeLut(space: SearchSpace, device: LutDevice = FAKE_DEVICE, msOf: (i: number) => number = (i) => 1 + i): LatencyTable {
  const entries = spaceEntries(space).map((r, i) => {
    const m = msOf(i);
    return makeEntry(r.config, r.config.kind === 'block' ? blockOutputShape(r.config.spec, r.config.input) : undefined, {
      ms: m + (r.config.kind === 'head' ? 0.01 : 0),
      medianMs: m,
      p10Ms: 0.9 * m,
      p90Ms: 1.1 * m,
      samples: 20,
      syncMs: 0.01,
    });
  });
  const now = '2026-01-01T00:00:00.000Z';
  return {
    kind: LUT_KIND,
    version: LUT_FORMAT_VERSION,
    createdAt: now,
    updatedAt: now,
    device,
    timing: resolveTiming(),
    sources: [{ kind: 'space', name: space.name, hash: hashJson(space), space }],
    entries,
  };
}

/** Fast timing for tests that really measure (values are not asserted). */
export const QUICK_TIMING = { timeMs: 2, warmupMs: 0, minSamples: 4, warmupSamples: 1, rounds: 2, maxRounds: 2 };

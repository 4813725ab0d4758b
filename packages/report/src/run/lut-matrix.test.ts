import { describe, expect, it } from 'vitest';
import { getSearchSpacePreset } from '@fbnet/core';
import { latencyMatrix, spaceEntries, type LatencyTable } from '@fbnet/latency-lut';
import { lutLayerMatrix } from './lut-matrix.ts';

/**
 * The report finds a layer's LUT entry by content (input shape + block spec); latency-lut finds
 * it by its key string. Both must pick the same entry for every layer and candidate.
 */
describe('lutLayerMatrix against @fbnet/latency-lut', () => {
  for (const name of ['fbnet-v1-fmnist', 'fbnet-v1-imagenet']) {
    it(`agrees with latencyMatrix on ${name}`, () => {
      const space = getSearchSpacePreset(name);
      // Distinct, content-dependent timings so a wrong match shows as a wrong number.
      const entries = spaceEntries(space).map((e, i) => {
        const c = e.config;
        const ms = 0.01 + ((i * 7919) % 997) / 100;
        return {
          kind: c.kind,
          key: e.key,
          opType: c.kind === 'block' ? c.spec.op : c.kind,
          input: c.input,
          ...(c.kind === 'block' ? { spec: c.spec, output: c.input } : {}),
          ...(c.kind === 'head' ? { numClasses: c.numClasses } : {}),
          medianMs: ms,
          p10Ms: ms * 0.9,
          p90Ms: ms * 1.1,
          samples: 10,
          syncMs: 0,
        };
      });
      const lut = { entries } as unknown as LatencyTable;
      const reference = latencyMatrix(space, lut, { corrected: false });
      const mine = lutLayerMatrix(space, lut);
      expect(mine.missing).toBe(0);
      const cells = mine.cells.map((row, l) => reference.candidates[l].map((c) => row[mine.candidates.indexOf(c)]?.medianMs));
      expect(cells).toEqual(reference.ms);
    });
  }
});

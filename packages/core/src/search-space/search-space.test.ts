import { describe, expect, it } from 'vitest';
import { parseArchDef } from '../arch-def/arch-def.ts';
import { resolveArch } from '../arch-def/resolve.ts';
import { Rng } from '../rng.ts';
import { getSearchSpacePreset } from './presets.ts';
import { archFromChoice, parseSearchSpace, sampleChoice, searchLayers, spaceSizeLog10 } from './search-space.ts';

describe('search spaces', () => {
  it('fbnet-v1-imagenet: 22 searchable layers, 9 candidates each, 224 input (paper Table 1)', () => {
    const s = getSearchSpacePreset('fbnet-v1-imagenet');
    const layers = searchLayers(s);
    expect(layers).toHaveLength(22);
    expect(layers.every((l) => l.candidates.length === 9)).toBe(true);
    expect(s.input_size).toBe(224);
    expect(layers.map((l) => l.c)).toEqual([16, 24, 24, 24, 24, 32, 32, 32, 32, 64, 64, 64, 64, 112, 112, 112, 112, 184, 184, 184, 184, 352]);
    expect(layers.map((l) => l.s)).toEqual([1, 2, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]);
    expect(spaceSizeLog10(s)).toBeCloseTo(22 * Math.log10(9), 10); // ~1e21
  });
  it('every sampled choice of both presets is a valid arch def', () => {
    for (const name of ['fbnet-v1-imagenet', 'fbnet-v1-fmnist']) {
      const s = getSearchSpacePreset(name);
      const rng = new Rng(1);
      for (let i = 0; i < 20; i++) {
        const def = archFromChoice(s, sampleChoice(s, rng));
        const r = resolveArch(parseArchDef(def));
        expect(r.head.numClasses).toBe(s.num_classes);
      }
    }
  });
  it('builds the arch a choice selects, block by block', () => {
    const s = getSearchSpacePreset('fbnet-v1-fmnist');
    const n = searchLayers(s).length;
    const def = archFromChoice(s, { ops: Array.from({ length: n }, (_, i) => (i === 0 ? 8 : 3)) });
    expect(def.blocks[0]).toEqual([['conv_k3', 16, 2, 1]]);
    expect(def.blocks[1]).toEqual([['skip', 16, 1, 1]]);
    expect(def.blocks[2][0]).toEqual(['ir_k3', 24, 2, 1, { expansion: 6 }]);
    expect(def.input_channels).toBe(1);
  });
  it('rejects a space naming an unknown candidate', () => {
    const s = getSearchSpacePreset('fbnet-v1-fmnist') as any;
    s.stages[1][0].searchable.candidates = ['k3_e1', 'k9_e1'];
    expect(() => parseSearchSpace(s)).toThrow(/unknown candidate "k9_e1"/);
  });
  it('rejects channel choices whose max is not c', () => {
    const s = getSearchSpacePreset('fbnet-v1-fmnist') as any;
    s.stages[1][0].searchable.channels = [8, 12];
    expect(() => parseSearchSpace(s)).toThrow(/max of channels/);
  });
  it('channel and resolution choices select the arch', () => {
    const s = getSearchSpacePreset('fbnet-v1-fmnist') as any;
    s.stages[2][0].searchable.channels = [8, 16, 24];
    s.resolutions = [20, 24, 28];
    const space = parseSearchSpace(s);
    const n = searchLayers(space).length;
    const def = archFromChoice(space, { ops: Array(n).fill(0), channels: Array(n).fill(1), resolution: 0 });
    expect(def.input_size).toBe(20);
    expect(def.blocks[2].map((b) => b[1])).toEqual([16, 16]);
    expect(def.blocks[1][0][1]).toBe(16); // layer without channel choices keeps c
  });
});

import { describe, expect, it } from 'vitest';
import { archFromChoice, getSearchSpacePreset, searchLayers } from '@fbnet/core';
import { archListEntries, archSteps, spaceEntries } from './enumerate.ts';
import { blockOutputShape, entryKey } from './block-key.ts';
import { tinySpace } from './_test-fixtures.ts';

describe('entry enumeration', () => {
  it('tiny space: input + stem + 3 layer configs x 3 candidates + last conv + head, the repeated layer deduplicated', () => {
    const space = tinySpace();
    expect(searchLayers(space)).toHaveLength(4);
    const e = spaceEntries(space);
    // layer 2 and layer 3 are both 16 -> 16, stride 1, on 4x4x16: one set of entries
    expect(e).toHaveLength(1 + 1 + 3 * 3 + 1 + 1);
    expect(new Set(e.map((x) => x.key)).size).toBe(e.length);
    expect(e.map((x) => x.config.kind)).toEqual(['input', ...Array(11).fill('block'), 'head']);
    expect(e[0].key).toBe('input@8x8x1');
    expect(e.at(-1)!.key).toBe('head:32>4@2x2x32'); // 8 -> stem s2 -> 4 -> layer 1 s2 -> 2
  });

  it('fbnet-v1-fmnist: 7 distinct layer configs x 9 candidates + input, stem, head', () => {
    expect(spaceEntries(getSearchSpacePreset('fbnet-v1-fmnist'))).toHaveLength(7 * 9 + 3);
  });

  it('fbnet-v1-imagenet: 22 layers collapse to 12 distinct configs (repeats share one) x 9 + 4 fixed', () => {
    const space = getSearchSpacePreset('fbnet-v1-imagenet');
    expect(searchLayers(space)).toHaveLength(22);
    expect(spaceEntries(space)).toHaveLength(12 * 9 + 4);
  });

  it('keys capture the work: stride, padding, groups and input shape change the key', () => {
    const space = tinySpace();
    const [, stem] = spaceEntries(space);
    if (stem.config.kind !== 'block') throw new Error('stem');
    const spec = stem.config.spec;
    expect(stem.key).toBe('block:conv_k3[conv3s2p1,1g1:1>8+bn+relu]@8x8x1');
    const conv = spec.nodes[0];
    if (conv.kind !== 'conv') throw new Error('conv');
    const other = { ...spec, nodes: [{ ...conv, padding: [0, 0] as [number, number] }] };
    expect(entryKey({ kind: 'block', input: [8, 8, 1], spec: other })).not.toBe(stem.key);
    expect(entryKey({ kind: 'block', input: [9, 9, 1], spec })).not.toBe(stem.key);
    // zero-gamma init does not change the work
    expect(entryKey({ kind: 'block', input: [8, 8, 1], spec: { ...spec, nodes: [{ ...conv, zeroGamma: true }] } })).toBe(stem.key);
    expect(blockOutputShape(spec, [8, 8, 1])).toEqual([4, 4, 8]);
    expect(blockOutputShape({ ...spec, nodes: [{ ...conv, padding: [0, 0] }] }, [8, 8, 1])).toEqual([3, 3, 8]);
  });

  it('an arch walks input, every block, head; an arch list is deduplicated', () => {
    const space = tinySpace();
    const a = archFromChoice(space, { ops: [0, 1, 2, 2] });
    const steps = archSteps(a);
    expect(steps.map((s) => s.role)).toEqual(['input', 0, 1, 2, 3, 4, 5, 'head']);
    expect(steps.map((s) => s.output)).toEqual([[8, 8, 1], [4, 4, 8], [4, 4, 8], [2, 2, 16], [2, 2, 16], [2, 2, 16], [2, 2, 32], [1, 1, 4]]);
    // layers 2 and 3 both pick skip at 2x2x16: one entry
    expect(steps[4].key).toBe(steps[5].key);
    const b = archFromChoice(space, { ops: [0, 1, 2, 0] });
    expect(archListEntries([a, b])).toHaveLength(8 - 1 + 1);
    const all = new Set(spaceEntries(space).map((e) => e.key));
    for (const s of steps) expect(all.has(s.key)).toBe(true);
  });
});

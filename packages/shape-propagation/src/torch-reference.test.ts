import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { archFromChoice, getSearchSpacePreset, parseArchDef, type ArchChoice } from '@fbnet/core';
import { largestChoice } from '../scripts/largest-choice.ts';
import { archCost } from './index.ts';

/**
 * Independent reference: tools/torch-flops-reference.py builds each fixture arch as a PyTorch
 * network from the JSON arch def (its own port of the mobile-vision op rules) and counts
 * conv/linear weight MACs and global-pool inputs with forward hooks during a real forward pass.
 */
interface TorchArch {
  flops: number;
  params: number;
  output: number[];
  head: { flops: number; params: number };
  blocks: { stage: number; block: number; repeat: number; op: string; output: number[]; flops: number; params: number }[];
}
const read = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const reference: { archs: Record<string, TorchArch> } = read('torch-reference.json');

describe('counts agree with the PyTorch reference (tools/torch-flops-reference.py)', () => {
  it('covers the archs the brief asks for', () => {
    expect(Object.keys(reference.archs)).toEqual(expect.arrayContaining(['fbnetv3_a', 'fbnet-v1-imagenet-sample', 'fbnet-v1-fmnist-largest', 'all-ops']));
  });

  it.each(Object.keys(reference.archs))('%s: every block and the totals', (name) => {
    const ref = reference.archs[name];
    const c = archCost(read(`${name}.json`));
    expect(c.blocks.map((b) => ({ stage: b.stage, block: b.block, repeat: b.repeat, op: b.op, output: b.output, flops: b.flops, params: b.params }))).toEqual(ref.blocks);
    expect({ flops: c.head.flops, params: c.head.params }).toEqual(ref.head);
    expect(c.output).toEqual(ref.output);
    expect({ flops: c.flops, params: c.params }).toEqual({ flops: ref.flops, params: ref.params });
  });

  it('FBNetV3-A in the reference is 356,598,280 / 8,542,224', () => {
    expect([reference.archs.fbnetv3_a.flops, reference.archs.fbnetv3_a.params]).toEqual([356_598_280, 8_542_224]);
  });
});

describe('search-space fixture archs still match the presets', () => {
  it.each(['fbnet-v1-imagenet-sample', 'fbnet-v1-fmnist-largest'])('%s = archFromChoice(space, meta.choice)', (name) => {
    const fx = read(`${name}.json`);
    const space = getSearchSpacePreset(fx.meta.space);
    const def = archFromChoice(space, fx.meta.choice as ArchChoice);
    expect(parseArchDef(fx).blocks).toEqual(def.blocks);
  });

  it('the 28x28 fixture is the largest arch of its space', () => {
    const fx = read('fbnet-v1-fmnist-largest.json');
    const space = getSearchSpacePreset('fbnet-v1-fmnist');
    expect(fx.meta.choice).toEqual(largestChoice(space));
    // every single-layer change makes it cheaper or equal
    const base = archCost(fx).flops;
    const ops: number[] = fx.meta.choice.ops;
    ops.forEach((_, l) => {
      for (let j = 0; j < 9; j++) expect(archCost(archFromChoice(space, { ops: ops.map((o, i) => (i === l ? j : o)) })).flops).toBeLessThanOrEqual(base);
    });
  });
});

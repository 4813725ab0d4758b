import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, searchLayers, type ArchChoice } from '@fbnet/core';
import type { Net } from '@fbnet/nn';
import type { DMaskingSupernet } from './supernet.ts';

/**
 * Copy the supernet's shared weights into a Net of the derived arch `archFromChoice(space, choice)`:
 * each parameter is the leading slice of the widest block's parameter on every axis (the channels
 * a mask l_i keeps are the first c_i). Non-trainable BN statistics are copied too. SE hidden widths
 * are cut the same way (the one place where the derived block is not the masked supernet block).
 */
export function inheritWeights(supernet: DMaskingSupernet, choice: ArchChoice, net: Net): void {
  const layers = searchLayers(supernet.space);
  if (choice.ops.length !== layers.length) throw new FbnetError('USAGE', `choice has ${choice.ops.length} op choices, the space ${layers.length} searchable layers`);
  const blocks = net.resolved.blocks;
  if (blocks.length !== supernet.slots.length) throw new FbnetError('USAGE', `net has ${blocks.length} blocks, the supernet ${supernet.slots.length} slots: not an arch of this space`);
  const sourceName = (name: string): string => {
    if (name.startsWith('head.')) return `w.${name}`;
    const m = /^b(\d+)\.(.*)$/.exec(name);
    if (!m) throw new FbnetError('USAGE', `cannot map parameter "${name}" to the supernet`);
    const slot = supernet.slots[Number(m[1])];
    const layer = slot.plan.layer;
    const cand = layer ? slot.candidates[choice.ops[layer.index]] : slot.candidates[0];
    return `w.s${slot.plan.index}.${cand.plan.id}.${m[2]}`;
  };
  for (const [name, v] of net.store.entries()) {
    const src = supernet.store.get(sourceName(name));
    if (src.rank !== v.rank || src.shape.some((d, i) => d < v.shape[i])) {
      throw new FbnetError('USAGE', `supernet parameter ${sourceName(name)} [${src.shape}] cannot hold ${name} [${v.shape}]`);
    }
    tf.tidy(() => v.assign(tf.slice(src, v.shape.map(() => 0), v.shape)));
  }
}

import { archFromChoice, FbnetError, searchLayers, spaceSlots, type ArchChoice, type ArchDef, type SearchSpace } from '@fbnet/core';
import { archSteps } from './enumerate.ts';
import type { LutSource } from './enumerate.ts';

/**
 * Entries are timed inside whole nets ("context archs"): a block's latency in a net depends
 * on what ran before it (caches, allocator, dispatch state), which timing it alone in a loop
 * misses. A plan is a short list of archs that together contain every entry to measure;
 * each entry is owned by the first context that contains it.
 */
export interface ContextPlan {
  contexts: { arch: ArchDef; owned: string[] }[];
}

/** Resolved-block index of each searchable layer (fixed entries expand to `repeat` blocks). */
function layerBlockIndex(space: SearchSpace): number[] {
  const out: number[] = [];
  let b = 0;
  for (const slot of spaceSlots(space)) {
    if (slot.kind === 'fixed') b += slot.block[3];
    else out[slot.layer.index] = b++;
  }
  return out;
}

/**
 * Greedy cover: build archs decision by decision (resolution, then per layer op, channels,
 * expansion), each time taking the first option whose block is still uncovered, until every
 * entry to measure is in some context. For a V1 space this is 9 archs, candidate k of every
 * layer in arch k (fewer when resuming).
 */
export function planSpaceContexts(space: SearchSpace, todo: ReadonlySet<string>): ContextPlan {
  const uncovered = new Set(todo);
  const layers = searchLayers(space);
  const blockIdx = layerBlockIndex(space);
  const contexts: ContextPlan['contexts'] = [];
  const keysOf = (c: ArchChoice) => archSteps(archFromChoice(space, c)).map((s) => s.key);
  while (uncovered.size) {
    const choice: ArchChoice = { ops: layers.map(() => 0) };
    if (layers.some((l) => l.channels)) choice.channels = layers.map(() => 0);
    if (layers.some((l) => l.expansions)) choice.expansions = layers.map(() => 0);
    if (space.resolutions) {
      choice.resolution = 0;
      for (let r = 0; r < space.resolutions.length; r++) {
        if (uncovered.has(keysOf({ ...choice, resolution: r })[0])) {
          choice.resolution = r;
          break;
        }
      }
    }
    for (const l of layers) {
      const step = 1 + blockIdx[l.index];
      const options: ArchChoice[] = [];
      for (let o = 0; o < l.candidates.length; o++) {
        for (let c = 0; c < (l.channels?.length ?? 1); c++) {
          for (let e = 0; e < (l.expansions?.length ?? 1); e++) {
            const next: ArchChoice = { ...choice, ops: [...choice.ops] };
            next.ops[l.index] = o;
            if (next.channels) (next.channels = [...next.channels])[l.index] = c;
            if (next.expansions) (next.expansions = [...next.expansions])[l.index] = e;
            options.push(next);
          }
        }
      }
      const pick = options.find((c) => uncovered.has(keysOf(c)[step]));
      if (pick) Object.assign(choice, pick);
    }
    const keys = keysOf(choice);
    const owned = [...new Set(keys.filter((k) => uncovered.has(k)))];
    if (!owned.length) throw new FbnetError('USAGE', `cannot place ${uncovered.size} entr(y|ies) in an arch of space "${space.name}" (first: ${[...uncovered][0]})`);
    for (const k of owned) uncovered.delete(k);
    contexts.push({ arch: archFromChoice(space, choice), owned });
  }
  return { contexts };
}

/** Contexts for an arch list: the listed archs that hold an entry to measure. */
export function planArchContexts(archs: readonly unknown[], todo: ReadonlySet<string>): ContextPlan {
  const uncovered = new Set(todo);
  const contexts: ContextPlan['contexts'] = [];
  for (const a of archs) {
    const owned = [...new Set(archSteps(a).map((s) => s.key).filter((k) => uncovered.has(k)))];
    if (!owned.length) continue;
    for (const k of owned) uncovered.delete(k);
    contexts.push({ arch: a as ArchDef, owned });
  }
  if (uncovered.size) throw new FbnetError('USAGE', `${uncovered.size} entr(y|ies) are in none of the arch defs (first: ${[...uncovered][0]})`);
  return { contexts };
}

export function planContexts(source: LutSource, todo: ReadonlySet<string>): ContextPlan {
  return 'space' in source ? planSpaceContexts(source.space, todo) : planArchContexts(source.archs, todo);
}

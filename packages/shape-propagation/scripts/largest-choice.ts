import { searchLayers, type ArchChoice, type SearchSpace } from '@fbnet/core';
import { effectiveCostValue } from '../src/effective-cost.ts';
import { spaceCostGraph } from '../src/space-graph.ts';

/**
 * The FLOPs-largest op choice of a space without channel choices: layers do not interact (each
 * layer's input channels are fixed), so the largest arch takes the costliest candidate per layer.
 */
export function largestChoice(space: SearchSpace): ArchChoice {
  const graph = spaceCostGraph(space);
  const base = searchLayers(space).map(() => 0);
  const total = (ops: number[]) => {
    const w: Record<string, number[]> = {};
    searchLayers(space).forEach((l) => {
      if (l.candidates.length > 1) w[`op/${l.index}`] = l.candidates.map((_, j) => (j === ops[l.index] ? 1 : 0));
    });
    return effectiveCostValue(graph, w).cost;
  };
  const ops = [...base];
  for (const l of searchLayers(space)) {
    let best = 0;
    let bestCost = -1;
    l.candidates.forEach((_, j) => {
      const c = total(ops.map((o, i) => (i === l.index ? j : o)));
      if (c > bestCost) {
        bestCost = c;
        best = j;
      }
    });
    ops[l.index] = best;
  }
  return { ops };
}

import { searchLayers, type SearchSpace } from '@fbnet/core';
import { findSearchSpace, lutLayerMatrix, type LutLayerMatrix } from '../run/lut-matrix.ts';
import { memo, type RunData } from '../run/run-data.ts';
import { supernetView, type SupernetView } from '../run/views.ts';

/** What several V1 sections share, computed once per run. */
export interface V1Context {
  view: SupernetView;
  space?: SearchSpace;
  /** Layer × candidate LUT latencies, when the run has a space and a lut.json. */
  matrix?: LutLayerMatrix;
  matrixError?: string;
  /** Candidate ids per searchable layer (from `supernet/started`, else the space). */
  candidates: string[][];
  /** Row label per searchable layer, e.g. "L3 16→24 s2 @14×14" (with a space) or "L3". */
  layerLabels: string[];
  /** The derived arch's candidate index per layer, when known. */
  derivedChoice?: number[];
}

export function v1Context(run: RunData): V1Context {
  return memo(run, 'v1', () => {
    const view = supernetView(run);
    const space = findSearchSpace(run);
    let matrix: LutLayerMatrix | undefined;
    let matrixError: string | undefined;
    if (space) {
      try {
        matrix = lutLayerMatrix(space, run.lut);
      } catch (e) {
        matrixError = (e as Error).message;
      }
    }
    const fromStarted = Array.isArray(view.started?.candidates) ? view.started.candidates.filter(Array.isArray) : undefined;
    const candidates = fromStarted?.length ? fromStarted : space ? searchLayers(space).map((l) => [...l.candidates]) : [];
    const nLayers = Math.max(candidates.length, view.theta[view.theta.length - 1]?.probs.length ?? 0, matrix?.layers.length ?? 0);
    const layerLabels = Array.from({ length: nLayers }, (_, i) => matrix?.layers[i]?.label ?? `L${i}`);
    return { view, space, matrix, matrixError, candidates, layerLabels, derivedChoice: derivedChoice(view, candidates) };
  });
}

function derivedChoice(view: SupernetView, candidates: string[][]): number[] | undefined {
  const d = view.derived;
  if (!d) return undefined;
  if (Array.isArray(d.choice?.ops) && d.choice.ops.every((i) => Number.isInteger(i))) return d.choice.ops;
  if (Array.isArray(d.ops) && candidates.length === d.ops.length) {
    const idx = d.ops.map((op, l) => candidates[l].indexOf(op));
    if (idx.every((i) => i >= 0)) return idx;
  }
  return undefined;
}

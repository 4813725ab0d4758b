/** Tableau 10 (Vega's default categorical scheme), reordered so neighbours differ: series and groups take these in turn. */
export const CATEGORICAL = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function categorical(i: number): string {
  return CATEGORICAL[((i % CATEGORICAL.length) + CATEGORICAL.length) % CATEGORICAL.length];
}

/** A scheme of Vega's, sampled over [from, to] of its range (e.g. blues from 0.25: no white band). */
export interface SchemeRange {
  name: 'viridis' | 'blues';
  extent?: [number, number];
}

/** Which way is better on each axis, e.g. latency 'min', accuracy 'max'. */
export interface ParetoSense {
  x: 'min' | 'max';
  y: 'min' | 'max';
}

/**
 * The non-dominated points (no other point is at least as good on both axes and better on
 * one), sorted by x ascending. Non-finite points are ignored; duplicates are kept once.
 */
export function paretoFront<P extends { x: number; y: number }>(points: readonly P[], sense: ParetoSense = { x: 'min', y: 'max' }): P[] {
  const sx = sense.x === 'min' ? 1 : -1;
  const sy = sense.y === 'max' ? 1 : -1;
  // Sort best-x first (ties: best y first), then sweep keeping strictly improving y.
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const order = pts.map((p, i) => ({ p, i })).sort((a, b) => sx * (a.p.x - b.p.x) || sy * (b.p.y - a.p.y) || a.i - b.i);
  const front: P[] = [];
  let best = -Infinity;
  for (const { p } of order) {
    const v = sy * p.y;
    if (v > best) {
      front.push(p);
      best = v;
    }
  }
  return front.sort((a, b) => a.x - b.x);
}

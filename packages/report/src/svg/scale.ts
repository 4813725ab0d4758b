/** Linear scales and "nice" ticks (1, 2, 5 × 10^k steps), as every chart here uses them. */

export interface LinearScale {
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  (x: number): number;
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const f = ((x: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((x - d0) / span) * (r1 - r0))) as LinearScale;
  Object.defineProperty(f, 'domain', { value: [d0, d1] });
  Object.defineProperty(f, 'range', { value: [r0, r1] });
  return f;
}

export interface Ticks {
  /** The tick values, ascending, covering [min, max]. */
  values: number[];
  step: number;
  /** The domain widened to whole steps. */
  min: number;
  max: number;
  /** Decimals a tick label needs to tell ticks apart. */
  decimals: number;
}

/** The step from {1, 2, 2.5, 5} × 10^k nearest to span/count (Heckbert's nice numbers). */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / p;
  const m = f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10;
  return m * p;
}

/**
 * Ticks for [min, max] with about `count` intervals; the domain is widened to whole steps.
 * An empty span (min == max) is widened around the value; non-finite input gives [0, 1].
 */
export function niceTicks(min: number, max: number, count = 5, options: { integer?: boolean } = {}): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return niceTicks(0, 1, count, options);
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  let step = niceStep(max - min, count);
  // Integer ticks (epochs): no step under 1, and 2 instead of 2.5.
  if (options.integer) step = step < 1 ? 1 : step === 2.5 ? 2 : step;
  // Snap to the step grid with a relative epsilon so 0.30000000000000004 stays on 0.3.
  const eps = step * 1e-9;
  const lo = Math.floor((min + eps) / step);
  const hi = Math.ceil((max - eps) / step);
  const decimals = decimalsOf(step);
  const values: number[] = [];
  for (let i = lo; i <= hi; i++) values.push(Number((i * step).toFixed(decimals)));
  return { values, step, min: lo * step, max: hi * step, decimals };
}

/** Fewest decimals that write `step` exactly (0.0025 → 4, 2.5 → 1, 20 → 0). */
export function decimalsOf(step: number): number {
  for (let d = 0; d < 15; d++) {
    const x = step * Math.pow(10, d);
    if (Math.abs(x - Math.round(x)) < 1e-6 * Math.max(1, Math.abs(x))) return d;
  }
  return 15;
}

/** [min, max] of the finite values (undefined when there are none). */
export function extent(values: Iterable<number>): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** A tick label with the decimals the step needs. */
export function tickLabel(v: number, ticks: Pick<Ticks, 'decimals'>): string {
  const s = v.toFixed(ticks.decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

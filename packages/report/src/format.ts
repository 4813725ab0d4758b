/**
 * Numbers and durations as the report prints them. Everything here is locale-free
 * (no `toLocaleString`) so the same input gives the same bytes on every machine.
 */

/** Fixed decimals, trailing zeros kept (table cells line up); "–" for a missing value. */
export function fixed(x: number | undefined | null, digits: number): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  const s = x.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Percent of a fraction in [0, 1]: 0.8312 → "83.12%". */
export function percent(x: number | undefined | null, digits = 2): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  return `${fixed(x * 100, digits)}%`;
}

const SI: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'K'],
];

/** A count with an SI suffix and 3 significant digits: 356598000 → "357M", 8542 → "8.54K". */
export function siCount(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  for (const [v, suffix] of SI) {
    if (a >= v) return `${trimZeros((x / v).toPrecision(3))}${suffix}`;
  }
  return trimZeros(a < 1e-3 && a > 0 ? x.toExponential(2) : x.toPrecision(3));
}

function trimZeros(s: string): string {
  if (s.includes('e')) return s;
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Milliseconds with precision that suits the size: 0.0123 → "0.0123", 4.56 → "4.56", 123.4 → "123". */
export function ms(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return trimZeros(x.toPrecision(3));
}

/** Seconds as "42 s", "3 min 05 s", "1 h 02 min". */
export function duration(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Colours: a categorical palette and sequential scales, as plain hex strings (deterministic). */

/** Tableau 10, reordered so neighbours differ; distinguishable for the common colour-vision deficiencies in most pairs. */
export const CATEGORICAL = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function categorical(i: number): string {
  return CATEGORICAL[((i % CATEGORICAL.length) + CATEGORICAL.length) % CATEGORICAL.length];
}

/** Stops of matplotlib's viridis (perceptually uniform, readable in grey scale). */
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
/** A light-to-dark blue ramp for probabilities (0 reads as paper, 1 as ink). */
const BLUES = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];

export type SequentialScheme = 'viridis' | 'blues';
const SCHEMES: Record<SequentialScheme, string[]> = { viridis: VIRIDIS, blues: BLUES };

function parseHex(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

function toHex(rgb: [number, number, number]): string {
  return '#' + rgb.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0')).join('');
}

/** Colour of t in [0, 1] (clamped; NaN → 0) on a sequential scheme, linear between stops. */
export function sequential(t: number, scheme: SequentialScheme = 'viridis'): string {
  const stops = SCHEMES[scheme];
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = x * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = parseHex(stops[i]);
  const b = parseHex(stops[i + 1]);
  return toHex([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
}

/** Black or white, whichever reads better on the background (WCAG relative luminance). */
export function textOn(bg: string): string {
  const lin = parseHex(bg).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  });
  const l = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  return l > 0.179 ? '#111111' : '#ffffff';
}

import { FbnetError, type Rng } from '@fbnet/core';

/**
 * Gamma(shape, 1) by Marsaglia & Tsang (2000), "A simple method for generating gamma
 * variables"; shape < 1 uses their boost Gamma(a) = Gamma(a + 1) · U^(1/a).
 */
export function sampleGamma(rng: Rng, shape: number): number {
  if (!(shape > 0 && Number.isFinite(shape))) throw new FbnetError('USAGE', `sampleGamma: shape must be positive, got ${shape}`);
  if (shape < 1) return sampleGamma(rng, shape + 1) * rng.nextOpen() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    if (Math.log(rng.nextOpen()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  // With very small a and b both gammas can underflow to 0; Beta then puts (almost) all its
  // mass on the endpoints, with P(1) = a / (a + b).
  if (x + y === 0) return rng.next() < a / (a + b) ? 1 : 0;
  return x / (x + y);
}

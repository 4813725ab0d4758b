/**
 * Interleaved scheduling of timing units (a context arch, a probe, a whole net): round r of
 * every unit still in need, then round r + 1, ... so each unit's rounds are spread over the
 * whole schedule and units scheduled together see the same machine load.
 */
export interface TimingUnit {
  /** Whether the unit wants another round (fewer than `rounds`, or its quietest rounds disagree). */
  needsRound(): boolean;
  round(r: number, signal?: AbortSignal): Promise<void>;
  dispose(): void;
}

export async function runInterleaved(units: readonly TimingUnit[], options: { signal?: AbortSignal; onRound?: (unit: number, round: number) => void } = {}): Promise<void> {
  for (let r = 0; units.some((u) => u.needsRound()); r++) {
    for (const [i, u] of units.entries()) {
      if (!u.needsRound()) continue;
      await u.round(r, options.signal);
      options.onRound?.(i, r);
    }
  }
}

import { FbnetError } from '@fbnet/core';
import { archSteps, type ArchStep } from './enumerate.ts';
import { lutEntryMap, type LatencyTable, type LutCorrection, type LutEntry } from './schema.ts';

export interface StepLatency {
  role: ArchStep['role'];
  op: string;
  opType: string;
  stage?: number;
  key: string;
  input: [number, number, number];
  /** Median forward time of this step; the head also carries the net's one read-back. */
  ms: number;
  p10Ms: number;
  p90Ms: number;
}

export interface ArchLatency {
  /** The prediction search uses: corrected when the table has a correction (and it was not turned off). */
  totalMs: number;
  /** Eq. 3: Σ_l LAT(b_l), plus the input normalisation, head and final read-back. */
  plainMs: number;
  correctedMs?: number;
  steps: StepLatency[];
}

/** Latency of one entry as it enters a net's sum (the head's includes the net's single read-back). */
export function entryStepMs(e: LutEntry): number {
  // Parsed tables always carry `ms`; entries built by hand in memory before it existed
  // (other packages' fixtures) fall back to what `ms` means for an isolated timing.
  return e.ms ?? e.medianMs + (e.kind === 'head' ? e.syncMs : 0);
}

/** Weight of one op type under a correction (1 without one). */
export type CorrectionTerms = Pick<LutCorrection, 'offsetMs' | 'scale' | 'opWeights'>;

export function correctionWeight(c: CorrectionTerms | undefined, opType: string): number {
  if (!c) return 1;
  return c.scale * (c.opWeights[opType] ?? 1);
}

/** Per-op-type sums of step latencies: the features the correction is linear in. */
export function opTypeSums(steps: readonly Pick<StepLatency, 'opType' | 'ms'>[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of steps) m.set(s.opType, (m.get(s.opType) ?? 0) + s.ms);
  return m;
}

export function applyCorrection(c: CorrectionTerms, steps: readonly Pick<StepLatency, 'opType' | 'ms'>[]): number {
  let t = c.offsetMs;
  for (const s of steps) t += correctionWeight(c, s.opType) * s.ms;
  return t;
}

/**
 * LAT(a) = Σ_l LAT(b_l) (FBNet eq. 3) with a per-step breakdown. Throws, listing the keys,
 * when the table lacks an entry the arch needs (measure the arch or its space first).
 */
export function archLatency(lut: LatencyTable, arch: unknown, options: { corrected?: boolean; entries?: Map<string, LutEntry> } = {}): ArchLatency {
  const map = options.entries ?? lutEntryMap(lut);
  const steps = archSteps(arch);
  const missing = steps.filter((s) => !map.has(s.key)).map((s) => s.key);
  if (missing.length) {
    const uniq = [...new Set(missing)];
    throw new FbnetError(
      'USAGE',
      `latency table has no entry for ${uniq.length} step(s) of this arch: ${uniq.slice(0, 5).join(', ')}${uniq.length > 5 ? ', ...' : ''}; measure them (fbnet lut measure --resume with this arch or its space)`,
    );
  }
  const out: StepLatency[] = steps.map((s) => {
    const e = map.get(s.key)!;
    return { role: s.role, op: s.op, opType: e.opType, stage: s.stage, key: s.key, input: s.config.input, ms: entryStepMs(e), p10Ms: e.p10Ms, p90Ms: e.p90Ms };
  });
  const plainMs = out.reduce((a, s) => a + s.ms, 0);
  const useCorrection = options.corrected !== false && lut.correction !== undefined;
  const correctedMs = useCorrection ? applyCorrection(lut.correction!, out) : undefined;
  return { totalMs: correctedMs ?? plainMs, plainMs, correctedMs, steps: out };
}

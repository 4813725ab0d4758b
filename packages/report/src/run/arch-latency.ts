import { archLatency, type ArchLatency, type LatencyTable } from '@fbnet/latency-lut';

/** LAT(a) of an arch from a table read as JSON, step by step; the reason when the table cannot price it. */
export function archLatencyFrom(lut: unknown, arch: unknown): { latency?: ArchLatency; error?: string } {
  if (!lut || typeof lut !== 'object' || !Array.isArray((lut as { entries?: unknown }).entries)) return { error: 'not a latency table' };
  try {
    return { latency: archLatency(lut as LatencyTable, arch) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

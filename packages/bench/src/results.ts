import type { TfjsBackendPlugin } from '@fbnet/backend-common';

export { writeDeviceResult, RESULTS_DIR } from '@fbnet/backend-common';
export type { DeviceResults } from '@fbnet/backend-common';

/** Calls per kernel variant, where the plugin dispatches through @fbnet/backend-common. */
export function variantCalls(plugin: unknown): Record<string, Record<string, number>> | undefined {
  const d = (plugin as Partial<TfjsBackendPlugin>).dispatcher;
  return d ? d.callCounts() : undefined;
}

export function resetVariantCalls(plugin: unknown): void {
  (plugin as Partial<TfjsBackendPlugin>).dispatcher?.resetCounts();
}

/** Quantile of sorted samples (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

import type { KernelPlan } from './plugin.ts';

/** 32-bit FNV-1a of a string, as 8 hex digits. */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** JSON with object keys sorted at every level: equal values give equal strings. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Hash of what a kernel plan decides — device, (kernel, shape, variant) entries, defaults — not
 * its timings or timestamp: re-running the kernel benchmark with the same outcome gives the same
 * hash; a changed decision does not. Device fingerprints and latency tables record it.
 */
export function planHash(plan: KernelPlan): string {
  const entries = [...plan.entries].map((e) => [e.kernel, e.shape, e.variant]).sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));
  return fnv1a(canonicalJson({ device: plan.device, entries, defaults: plan.defaults }));
}

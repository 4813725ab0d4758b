import type { EntryConfig } from '../block-key.ts';
import type { ContextPlan } from '../context-plan.ts';
import type { LutSourceRecord, LutTiming } from '../schema.ts';

/** What the page measures: served as /job.json, the same entries a Node measurement would time. */
export interface BrowserJob {
  backends: string[];
  timing: LutTiming;
  sources: LutSourceRecord[];
  entries: { key: string; config: EntryConfig }[];
  /** The context archs the entries are timed in (timing.context = 'net'). */
  plan: ContextPlan;
}

/** Messages the page POSTs to /event while it works. */
export type BrowserMessage =
  | { type: 'started'; userAgent: string; crossOriginIsolated: boolean }
  | { type: 'backend-started'; backend: string; total: number }
  | { type: 'progress'; backend: string; done: number; total: number; key: string; medianMs: number }
  | { type: 'backend-skipped'; backend: string; reason: string }
  | { type: 'finished' };

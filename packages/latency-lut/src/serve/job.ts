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

/**
 * Messages the page POSTs to /event while it works. `etaSec` is the page's estimate: elapsed
 * time over the share of the timing work done (entries finish in bursts, a group of context
 * archs at a time, so `timing-round` ticks between them).
 */
export type BrowserMessage =
  | { type: 'started'; userAgent: string; crossOriginIsolated: boolean }
  | { type: 'backend-started'; backend: string; total: number }
  | { type: 'progress'; backend: string; done: number; total: number; key: string; medianMs: number; etaSec?: number }
  | { type: 'timing-round'; backend: string; done: number; total: number; fraction: number; etaSec?: number }
  | { type: 'backend-skipped'; backend: string; reason: string }
  /** The backend started but its measurement, or storing its table, failed. */
  | { type: 'backend-failed'; backend: string; error: string }
  /** An error outside any one backend (job.json unreadable, a bug in the page). */
  | { type: 'page-error'; message: string }
  | { type: 'finished' };

/** What to do with a stored table: a command line, and a note when it needs one. */
export interface LutNextStep {
  command: string;
  note?: string;
}

/** The server's answer to a POSTed table (200): where it stored it and, from the CLI, how to use it. */
export interface LutStoredReply {
  path: string;
  next?: LutNextStep;
}

import type { SectionBuilder } from '../sections/section.ts';

/** The search commands whose runs get a dedicated report (V1, V2 and V3 are registered in `reports/registry.ts`). */
export type SearchCommand = 'search v1' | 'search v2' | 'search v3';

/**
 * A kind of report: the sections a run of one command shows, in order. `buildReport` finds the
 * kind by `config.command` in `REPORT_KINDS` and falls back to `GENERIC_REPORT` for commands
 * without one (a `train` run).
 */
export interface ReportKind {
  /** The `config.command` this kind reports on. */
  command: SearchCommand | (string & {});
  /** Page title prefix, e.g. "FBNetV1 search". */
  title: string;
  sections: readonly SectionBuilder[];
}

import type { RunData } from '../run/run-data.ts';

/** One section of a report page. `html` is trusted markup built from escaped parts. */
export interface ReportSection {
  /** Anchor id (kebab-case). */
  id: string;
  title: string;
  html: string;
  /** ok: drawn; partial: drawn from what the run has, `note` says what is missing; missing: nothing to draw, `note` says why. */
  status: 'ok' | 'partial' | 'missing';
  note?: string;
}

/** What a section builder returns; the page adds id and title. */
export type SectionContent = Omit<ReportSection, 'id' | 'title'>;

/**
 * A section of a report kind: reads the run, returns content. Builders must not throw on
 * partial data (return `missing(...)`); if one throws anyway `buildReport` shows the error in
 * that section and draws the rest.
 */
export interface SectionBuilder {
  id: string;
  title: string;
  build(run: RunData): SectionContent;
  /** Whether the section belongs on this run's page (default: always); a kind that mixes searches shows only theirs. */
  applies?(run: RunData): boolean;
}

export function ok(html: string, note?: string): SectionContent {
  return note ? { status: 'partial', html, note } : { status: 'ok', html };
}

export function missing(note: string, html = ''): SectionContent {
  return { status: 'missing', html, note };
}

/** Run a builder; an exception becomes a section that says what went wrong. */
export function runSection(b: SectionBuilder, run: RunData): ReportSection {
  try {
    return { id: b.id, title: b.title, ...b.build(run) };
  } catch (e) {
    return { id: b.id, title: b.title, status: 'missing', html: '', note: `could not draw this section: ${(e as Error)?.message ?? String(e)}` };
  }
}

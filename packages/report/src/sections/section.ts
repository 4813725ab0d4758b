import type { PageSection } from '@fbnet/html';
import type { RunData } from '../run/run-data.ts';

/** One section of a report page. `html` is trusted markup built from escaped parts. */
export type ReportSection = PageSection;

/** What a section builder returns; the page adds id and title. */
export type SectionContent = Omit<ReportSection, 'id' | 'title'>;

/**
 * A section of a report kind: reads the run, returns content (charts render asynchronously, so
 * a builder may return a promise). Builders must not throw on partial data (return
 * `missing(...)`); if one throws anyway `buildReport` shows the error in that section and
 * draws the rest.
 */
export interface SectionBuilder {
  id: string;
  title: string;
  build(run: RunData): SectionContent | Promise<SectionContent>;
  /** Whether the section belongs on this run's page (default: always); a kind that mixes searches shows only theirs. */
  applies?(run: RunData): boolean;
}

export function ok(html: string, note?: string): SectionContent {
  return note ? { status: 'partial', html, note } : { status: 'ok', html };
}

export function missing(note: string, html = ''): SectionContent {
  return { status: 'missing', html, note };
}

/** Run a builder; an exception (or a rejected promise) becomes a section that says what went wrong. */
export async function runSection(b: SectionBuilder, run: RunData): Promise<ReportSection> {
  try {
    return { id: b.id, title: b.title, ...(await b.build(run)) };
  } catch (e) {
    return { id: b.id, title: b.title, status: 'missing', html: '', note: `could not draw this section: ${(e as Error)?.message ?? String(e)}` };
  }
}

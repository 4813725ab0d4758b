import { basename, join } from 'node:path';
import { writeFileAtomic } from '@fbnet/runs';
import { renderPage } from './html/page.ts';
import { runSection, type ReportSection } from './html/section.ts';
import { loadRun, type RunData } from './run/run-data.ts';
import { GENERIC_REPORT } from './reports/generic.ts';
import { REPORT_KINDS } from './reports/registry.ts';
import type { ReportKind } from './reports/report-kind.ts';

export const REPORT_FILE = 'report.html';

/** The report kind for a run's command (the generic one when none is registered). */
export function reportKindFor(command: string): ReportKind {
  return REPORT_KINDS.has(command) ? REPORT_KINDS.get(command) : GENERIC_REPORT;
}

/** Sections of a loaded run under a kind; a section that throws becomes a "could not draw" section. */
export function buildSections(run: RunData, kind: ReportKind = reportKindFor(run.config.command)): ReportSection[] {
  return kind.sections.filter((b) => !b.applies || b.applies(run)).map((b) => runSection(b, run));
}

/** The HTML of a loaded run's report (pure: same run data, same bytes). */
export function renderReport(run: RunData, kind: ReportKind = reportKindFor(run.config.command)): string {
  const sections = buildSections(run, kind);
  const generic = kind === GENERIC_REPORT && !REPORT_KINDS.has(run.config.command);
  const subtitle = [
    `${run.config.command} · seed ${run.config.seed}${run.config.createdAt ? ` · created ${run.config.createdAt}` : ''}`,
    run.dir,
  ];
  if (generic) subtitle.push(`no dedicated report for "${run.config.command}" yet: generic sections only`);
  return renderPage({ title: `${kind === GENERIC_REPORT ? 'fbnet run' : kind.title} · ${basename(run.dir)}`, subtitle, sections });
}

/** Build the report of a run directory, dispatching on `config.command`. Throws only if `runDir` is not a run. */
export function buildReport(runDir: string): string {
  return renderReport(loadRun(runDir));
}

/** V1 report regardless of the command recorded (e.g. to redraw a run from an older CLI). */
export function buildV1Report(runDir: string): string {
  return renderReport(loadRun(runDir), REPORT_KINDS.get('search v1'));
}

/** Write `report.html` into the run directory atomically; returns its path. */
export function writeReport(runDir: string): string {
  const run = loadRun(runDir);
  const path = join(run.dir, REPORT_FILE);
  writeFileAtomic(path, renderReport(run));
  return path;
}

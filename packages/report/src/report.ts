import { basename, join } from 'node:path';
import { renderPage } from '@fbnet/html';
import { writeFileAtomic } from '@fbnet/runs';
import { ARCH_CSS } from './sections/arch-diagram.ts';
import { runSection, type ReportSection } from './sections/section.ts';
import { loadRun, type RunData } from './run/run-data.ts';
import { GENERIC_REPORT } from './reports/generic.ts';
import { REPORT_KINDS } from './reports/registry.ts';
import type { ReportKind } from './reports/report-kind.ts';

export const REPORT_FILE = 'report.html';

/** The report kind for a run's command (the generic one when none is registered). */
export function reportKindFor(command: string): ReportKind {
  return REPORT_KINDS.has(command) ? REPORT_KINDS.get(command) : GENERIC_REPORT;
}

/**
 * Sections of a loaded run under a kind, in the kind's order; a section that throws becomes a
 * "could not draw" section. Sections render one after another: the charts of one page share
 * Vega, and a page's worth of charts is quick.
 */
export async function buildSections(run: RunData, kind: ReportKind = reportKindFor(run.config.command)): Promise<ReportSection[]> {
  const out: ReportSection[] = [];
  for (const b of kind.sections) if (!b.applies || b.applies(run)) out.push(await runSection(b, run));
  return out;
}

/** The HTML of a loaded run's report (same run data, same bytes). */
export async function renderReport(run: RunData, kind: ReportKind = reportKindFor(run.config.command)): Promise<string> {
  const sections = await buildSections(run, kind);
  const generic = kind === GENERIC_REPORT && !REPORT_KINDS.has(run.config.command);
  const subtitle = [
    `${run.config.command} · seed ${run.config.seed}${run.config.createdAt ? ` · created ${run.config.createdAt}` : ''}`,
    run.dir,
  ];
  if (generic) subtitle.push(`no dedicated report for "${run.config.command}" yet: generic sections only`);
  return renderPage({
    title: `${kind === GENERIC_REPORT ? 'fbnet run' : kind.title} · ${basename(run.dir)}`,
    subtitle,
    sections,
    css: ARCH_CSS,
    footer: 'fbnet-ts report · self-contained: no scripts, no network · charts: Vega-Lite',
  });
}

/** Build the report of a run directory, dispatching on `config.command`. Rejects only if `runDir` is not a run. */
export async function buildReport(runDir: string): Promise<string> {
  return renderReport(loadRun(runDir));
}

/** V1 report regardless of the command recorded (e.g. to redraw a run from an older CLI). */
export async function buildV1Report(runDir: string): Promise<string> {
  return renderReport(loadRun(runDir), REPORT_KINDS.get('search v1'));
}

/** Write `report.html` into the run directory atomically; resolves to its path. */
export async function writeReport(runDir: string): Promise<string> {
  const run = loadRun(runDir);
  const path = join(run.dir, REPORT_FILE);
  writeFileAtomic(path, await renderReport(run));
  return path;
}

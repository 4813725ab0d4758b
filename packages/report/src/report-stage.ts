import { relative } from 'node:path';
import { defineStage, FbnetError } from '@fbnet/core';
import { writeReport } from './report.ts';

/** The report stage takes nothing: it reads the whole run directory. */
export type ReportStageInput = Record<string, never>;

export interface ReportStageResult {
  /** The HTML report, relative to the run (`report.html`). */
  reportPath: string;
}

/**
 * Stage `report`: render the run directory's self-contained HTML report, as `fbnet report`
 * does (`writeReport`: the report kind follows the run's command, sections from its files and
 * event log). One step, written atomically; a cancelled report is simply rendered again.
 */
export const reportStage = defineStage<ReportStageInput, ReportStageResult>('report', async (_input, ctx, io) => {
  if (!ctx.run) throw new FbnetError('USAGE', 'the report stage needs a run directory (context.run)');
  if (io.signal.aborted) return undefined as never;
  const path = await writeReport(ctx.run.path);
  return { reportPath: relative(ctx.run.path, path) };
});

import { writeReport } from '@fbnet/report';
import { RunDir } from '@fbnet/runs';
import { makeOutput } from '../output.ts';
import type { ReportLine } from './report.ts';

export async function runReport({ flags, args }: ReportLine): Promise<number> {
  const out = makeOutput(!!flags.json);
  // A report of a run still in progress is allowed: it only reads the run (and writes report.html atomically).
  const run = RunDir.open(args[0], { lock: false });
  const reportPath = await writeReport(run.path);
  out.info(`report: ${reportPath}`);
  out.result({ reportPath, runDir: run.path, command: run.config.command });
  return 0;
}

import { defineCommand } from '../command.ts';
import { JSON_FLAG, parseCommandLine, type CommandLine } from '../flags.ts';

export const REPORT_GRAMMAR = { flags: { ...JSON_FLAG }, args: ['run-dir'] };
export type ReportLine = CommandLine<typeof REPORT_GRAMMAR.flags>;

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'write a self-contained HTML report (plots) of a run directory',
  usage: 'fbnet report <run-dir> [--json]',
  parse: (argv) => parseCommandLine(argv, REPORT_GRAMMAR),
  load: async () => (await import('./run-report.ts')).runReport,
});

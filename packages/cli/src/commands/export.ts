import { defineCommand } from '../command.ts';
import { flag, JSON_FLAG, parseCommandLine, type CommandLine } from '../flags.ts';

export const EXPORT_GRAMMAR = { flags: { ...JSON_FLAG, out: flag.path() }, args: ['run-dir'] };
export type ExportLine = CommandLine<typeof EXPORT_GRAMMAR.flags>;

export const exportCommand = defineCommand({
  name: 'export',
  summary: "export a run's trained network (from its last training checkpoint) as a stock TF.js Layers model",
  usage: 'fbnet export <run-dir> [--out DIR] [--json]',
  parse: (argv) => parseCommandLine(argv, EXPORT_GRAMMAR),
  load: async () => (await import('./run-export.ts')).runExport,
});

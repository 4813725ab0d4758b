import { parseArgs } from 'node:util';
import { RunDir } from '@fbnet/runs';
import { writeReport } from '@fbnet/report';
import { usageError, type Command } from '../command.ts';
import { makeOutput } from '../output.ts';

export const reportCommand: Command = {
  name: 'report',
  summary: 'write a self-contained HTML report (plots) of a run directory',
  usage: 'fbnet report <run-dir> [--json]',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
    if (positionals.length !== 1) throw usageError(this.usage);
    const out = makeOutput(!!values.json);
    const run = RunDir.open(positionals[0]);
    const reportPath = writeReport(run.path);
    out.info(`report: ${reportPath}`);
    out.result({ reportPath, runDir: run.path, command: run.config.command });
    return 0;
  },
};

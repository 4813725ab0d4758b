import type { Command } from './command.ts';
import { benchCommand } from './commands/bench.ts';
import { costCommand } from './commands/cost.ts';
import { exportCommand } from './commands/export.ts';
import { lutCommand } from './commands/lut.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { searchCommand } from './commands/search.ts';
import { trainCommand } from './commands/train.ts';
import { workerCommand } from './commands/worker.ts';
import { failureContext, reportFailure } from './failure.ts';
import { usage } from './flags.ts';
import { importPluginModules, PLUGINS_ENV } from './plugin-modules.ts';

// Only the command grammars are imported here; each command's implementation (TF.js and the stages) loads after its
// command line has been checked.
const COMMANDS: Command[] = [
  costCommand,
  lutCommand,
  searchCommand,
  runCommand,
  trainCommand,
  exportCommand,
  reportCommand,
  benchCommand,
  workerCommand,
];

function help(): string {
  return [
    'fbnet — hardware-aware neural architecture search (FBNet V1/V2/V3) on TensorFlow.js',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`),
    '',
    'Every command takes --json for machine output (last stdout line, also on failure) and --debug (stacks on errors).',
    'Exit codes: 0 ok, 1 error, 2 usage error (docs/errors.md).',
  ].join('\n');
}

/** Entry point; returns the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  const ctx = failureContext(argv);
  const [name, ...rest] = argv.filter((a) => a !== '--debug');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  try {
    // Third-party backend plugins register themselves when imported; without the variable nothing extra loads.
    const plugins = process.env[PLUGINS_ENV];
    if (plugins) await importPluginModules(plugins);
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) throw usage(`unknown command "${name}"; known: ${COMMANDS.map((c) => c.name).join(', ')} (fbnet --help)`);
    return await cmd.run(rest);
  } catch (e) {
    return reportFailure(e, ctx);
  }
}

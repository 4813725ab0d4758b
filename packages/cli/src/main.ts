import { isFbnetError } from '@fbnet/core';
import type { Command } from './command.ts';
import { benchCommand } from './commands/bench.ts';
import { costCommand } from './commands/cost.ts';
import { exportCommand } from './commands/export.ts';
import { lutCommand } from './commands/lut.ts';
import { reportCommand } from './commands/report.ts';
import { searchCommand } from './commands/search.ts';
import { trainCommand } from './commands/train.ts';
import { workerCommand } from './commands/worker.ts';

const COMMANDS: Command[] = [costCommand, lutCommand, searchCommand, trainCommand, exportCommand, reportCommand, benchCommand, workerCommand];

function help(): string {
  return ['fbnet — hardware-aware neural architecture search (FBNet V1/V2/V3) on TensorFlow.js', '', 'commands:', ...COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`), '', 'Every command takes --json for machine output (last stdout line).'].join('\n');
}

/** Entry point; returns the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const json = rest.includes('--json');
  try {
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) {
      process.stderr.write(`fbnet: unknown command "${name}"\n\n${help()}\n`);
      return 2;
    }
    return await cmd.run(rest);
  } catch (e) {
    const code = isFbnetError(e) ? e.code : (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 'USAGE' : 'INTERNAL';
    const message = (e as Error).message;
    process.stderr.write(`fbnet ${name}: ${message}\n`);
    if (code === 'INTERNAL' && process.env.FBNET_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
    return code === 'USAGE' ? 2 : 1;
  }
}

import { FbnetError } from '@fbnet/core';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/**
 * A command in two halves: `parse` checks the whole command line (light: no TF.js), and only
 * then `load` imports the implementation, so usage errors are immediate and nothing starts
 * on a bad flag.
 */
export function defineCommand<P>(c: {
  name: string;
  summary: string;
  usage: string;
  parse(argv: string[]): P;
  load(): Promise<(parsed: P) => Promise<number>>;
}): Command {
  return {
    name: c.name,
    summary: c.summary,
    usage: c.usage,
    async run(argv) {
      if (argv.includes('--help') || argv.includes('-h')) {
        process.stdout.write(`${c.summary}\nusage: ${c.usage}\n`);
        return 0;
      }
      let parsed: P;
      try {
        parsed = c.parse(argv);
      } catch (e) {
        if (e instanceof FbnetError && e.code === 'USAGE') throw usageError(usageFor(c.name, c.usage, argv[0]), e.message);
        throw e;
      }
      const run = await c.load();
      return run(parsed);
    },
  };
}

export function usageError(usage: string, why?: string): FbnetError {
  return new FbnetError('USAGE', `${why ? why + '\n' : ''}usage: ${usage}`);
}

/** The usage lines of one subcommand (`fbnet lut serve ...`) when the usage lists several, else all of it. */
function usageFor(name: string, usage: string, sub: string | undefined): string {
  const lines = usage.split('\n').map((l) => l.trim());
  const mine = lines.filter((l) => sub !== undefined && l.startsWith(`fbnet ${name} ${sub} `));
  return mine.length ? mine.join('\n  ') : usage;
}

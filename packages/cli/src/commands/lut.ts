import { defineCommand } from '../command.ts';
import { flag, JSON_FLAG, parseSubcommand, usage, type CommandLine } from '../flags.ts';
import { BACKEND_FLAG } from './backends.ts';

const MEASURE = {
  flags: {
    ...JSON_FLAG,
    space: flag.text('a search space preset name or file').required(),
    backend: BACKEND_FLAG,
    out: flag.path().required(),
    resume: flag.bool(),
    force: flag.bool(),
    'time-ms': flag.positiveNumber(),
    context: flag.oneOf(['net', 'lockstep', 'isolated']),
    seed: flag.seed(),
    threads: flag.positiveInt(),
  },
  args: [],
};
const VALIDATE = {
  flags: {
    ...JSON_FLAG,
    lut: flag.path().required(),
    samples: flag.positiveInt(),
    repeat: flag.positiveInt(),
    against: flag.path(),
    out: flag.path(),
    backend: BACKEND_FLAG,
    calibration: flag.count(),
    refit: flag.bool(),
    concurrent: flag.bool(),
    save: flag.bool(),
    force: flag.bool(),
    seed: flag.seed(),
    threads: flag.positiveInt(),
  },
  args: [],
  check(f: { samples?: number; against?: string }) {
    if (f.samples === undefined && !f.against) throw usage('--samples is required (or --against an earlier validation to repeat it)');
  },
};
const SHOW = {
  flags: { ...JSON_FLAG, lut: flag.path() },
  args: ['lut.json?'],
  check(f: { lut?: string }, args: string[]) {
    if (!f.lut && !args[0]) throw usage('lut show needs a table: fbnet lut show lut.json');
    if (f.lut && args[0]) throw usage('give the table once: as an argument or as --lut');
  },
};
const SERVE = {
  flags: {
    ...JSON_FLAG,
    space: flag.text('a search space preset name or file').required(),
    'out-dir': flag.path().required(),
    port: flag.port(),
    host: flag.text('an address to listen on (0.0.0.0: every interface, for a device on the LAN)'),
  },
  args: [],
};
export const LUT_GRAMMARS = { measure: MEASURE, validate: VALIDATE, show: SHOW, serve: SERVE };

export type LutLine =
  | ({ sub: 'measure' } & CommandLine<typeof MEASURE.flags>)
  | ({ sub: 'validate' } & CommandLine<typeof VALIDATE.flags>)
  | ({ sub: 'show' } & CommandLine<typeof SHOW.flags>)
  | ({ sub: 'serve' } & CommandLine<typeof SERVE.flags>);

export const lutCommand = defineCommand({
  name: 'lut',
  summary:
    'latency lookup tables: measure on this device, validate against end-to-end latency, show, ' +
    'serve to a browser device',
  usage:
    'fbnet lut measure --space NAME|FILE --out lut.json [--backend ID] [--resume] [--force] [--time-ms N] ' +
    '[--context net|lockstep|isolated] ' +
    '[--threads N] [--seed N] [--json]\n' +
    '  fbnet lut validate --lut lut.json --samples N [--repeat N] [--against earlier.json] [--out report.json] ' +
    '[--backend ID] [--calibration N] [--refit] [--concurrent] [--save] [--force] [--threads N] [--seed N] [--json]\n' +
    '  fbnet lut show lut.json [--json]\n' +
    '  fbnet lut serve --space NAME|FILE --out-dir DIR [--port N] [--host ADDR] [--json]',
  parse: (argv): LutLine => parseSubcommand(argv, LUT_GRAMMARS),
  load: async () => (await import('./run-lut.ts')).runLut,
});

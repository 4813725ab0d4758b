import { isFbnetError } from '@fbnet/core';

/**
 * How a failed command ends (the contract in docs/errors.md): exit 2 for a usage error, 1 for
 * anything else; one paragraph on stderr naming the command; under `--json` one
 * `{"error":{"code","message"}}` object as the last stdout line; a stack only with `--debug`
 * or FBNET_DEBUG=1.
 */
export interface FailureContext {
  command: string;
  json: boolean;
  debug: boolean;
}

/** The context from raw argv (`--debug` is global; the command's own parser never sees it). */
export function failureContext(argv: string[]): FailureContext {
  const positional = argv.filter((a) => !a.startsWith('-'));
  const withSub = ['lut', 'bench', 'search'].includes(positional[0]) && positional[1];
  const command = withSub ? positional.slice(0, 2).join(' ') : (positional[0] ?? '');
  return { command, json: argv.includes('--json'), debug: argv.includes('--debug') || !!process.env.FBNET_DEBUG };
}

export function errorCode(e: unknown): string {
  return isFbnetError(e) ? e.code : 'INTERNAL';
}

/** A message fit for one paragraph: no stack frames, no blank lines, bounded length. */
export function errorMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\s+at /.test(l))
    .map((l) => l.trimEnd());
  const msg = lines.join('\n') || (e instanceof Error ? e.name : 'unknown error');
  return msg.length > 2000 ? `${msg.slice(0, 2000)}…` : msg;
}

let reportedExit: number | undefined;

/** Write the failure per the contract and return the exit code (reported once per process). */
export function reportFailure(e: unknown, ctx: FailureContext): number {
  const code = errorCode(e);
  const message = errorMessage(e);
  const exit = code === 'USAGE' ? 2 : 1;
  const hint = code === 'INTERNAL' && !ctx.debug ? ' (an internal error; --debug shows the stack)' : '';
  process.stderr.write(`fbnet${ctx.command ? ' ' + ctx.command : ''}: ${message}${hint}\n`);
  if (ctx.debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  if (ctx.json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
  reportedExit = exit;
  return exit;
}

/**
 * Last line of defence for errors no promise carried (a timer, an event emitter, a stream
 * with no error handler): end by the contract instead of node's default dump, and before
 * listeners added later run — tfjs-backend-wasm's Emscripten glue adds an `uncaughtException`
 * handler that rethrows, which exits 7 and prints the minified glue.
 */
export function installCrashGuard(ctx: FailureContext): void {
  const onCrash = (e: unknown) => {
    // Already reported (the rethrow of an error main has handled): leave with that code.
    const earlier = reportedExit;
    if (earlier !== undefined && ctx.debug && e instanceof Error) process.stderr.write(`(again) ${e.stack}\n`);
    process.exit(earlier ?? reportFailure(e, ctx));
  };
  process.prependListener('uncaughtException', onCrash);
  process.prependListener('unhandledRejection', onCrash);
}

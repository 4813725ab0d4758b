import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { FbnetError } from '@fbnet/core';
import { errorMessage, failureContext, reportFailure } from './failure.ts';

// The ESM entry of tsx's API (require.resolve would give the CommonJS one).
const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
const failureTs = pathToFileURL(fileURLToPath(new URL('./failure.ts', import.meta.url))).href;

/** Run a script that installs the guard, then (like tfjs-backend-wasm) a rethrowing handler, then fails. */
function crash(failure: string, flags: { json?: boolean; debug?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fbnet-guard-'));
  const script = join(dir, 'crash.mjs');
  writeFileSync(
    script,
    [
      `const { register } = await import(${JSON.stringify(tsxApi)});`,
      'register();',
      `const { installCrashGuard } = await import(${JSON.stringify(failureTs)});`,
      `installCrashGuard({ command: 'search v1', json: ${!!flags.json}, debug: ${!!flags.debug} });`,
      // What Emscripten's glue in tfjs-backend-wasm installs: rethrow, which exits 7 and prints the minified source.
      "process.on('uncaughtException', (e) => { throw e; });",
      failure,
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: r.stdout.trim().split('\n').at(-1) ?? '' };
}

describe('crash guard', () => {
  it('an error thrown from a timer ends with exit 1, one paragraph, the JSON error line, no stack', () => {
    const r = crash("setTimeout(() => { throw new Error('loop failed'); }, 1);", { json: true });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.last)).toEqual({ error: { code: 'INTERNAL', message: 'loop failed' } });
    expect(r.stderr).toMatch(/^fbnet search v1: loop failed \(an internal error; --debug shows the stack\)\n$/);
  });

  it('an unhandled rejection ends the same way', () => {
    const r = crash("Promise.reject(new TypeError('x is undefined'));", { json: true });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.last).error).toEqual({ code: 'INTERNAL', message: 'x is undefined' });
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--debug prints the stack', () => {
    const r = crash("setTimeout(() => { throw new Error('loop failed'); }, 1);", { debug: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('failure messages', () => {
  it('one paragraph: no stack frames, no blank lines', () => {
    expect(errorMessage(new Error('a\n\n    at f (x.js:1:1)\nb'))).toBe('a\nb');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(new FbnetError('USAGE', 'x'))).toBe('x');
  });

  it('a USAGE error exits 2, others 1; the JSON line only under --json', () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(reportFailure(new FbnetError('USAGE', '--seed must be an integer'), { command: 'train', json: true, debug: false })).toBe(2);
      expect(out.mock.calls.at(-1)?.[0]).toBe('{"error":{"code":"USAGE","message":"--seed must be an integer"}}\n');
      expect(err.mock.calls.at(-1)?.[0]).toBe('fbnet train: --seed must be an integer\n');
      out.mockClear();
      expect(reportFailure(new FbnetError('FILE_INVALID', 'x.json: bad'), { command: 'cost', json: false, debug: false })).toBe(1);
      expect(out).not.toHaveBeenCalled();
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it('context from argv: command with its subcommand, --json, --debug', () => {
    expect(failureContext(['lut', 'serve', '--json'])).toMatchObject({ command: 'lut serve', json: true });
    expect(failureContext(['cost', 'a.json', '--debug'])).toMatchObject({ command: 'cost', debug: true });
  });
});

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BENCH_ARCH, fbnetAsync, pooled, writeTinyData, type CliRun } from './_cli-test-support.ts';
import { SEARCH_PRESET_NAMES } from './commands/search.ts';
import { PIPELINE_PRESETS as RUN_PRESETS } from './commands/run.ts';

/**
 * The exit-code contract (docs/errors.md) for every command, with bad flags and bad files:
 * exit 2 for usage errors and 1 for the rest, the last stdout line one JSON object with
 * `error.code`, one paragraph on stderr and never a stack trace.
 */
interface Case {
  argv: string[];
  exit: 1 | 2;
  code: string;
  /** stderr must match (the flag or the file named). */
  says: RegExp;
  /** Checked after the run (nothing created, nothing overwritten). */
  after?: () => void;
}

const root = mkdtempSync(join(tmpdir(), 'fbnet-cli-errors-'));
const p = (...names: string[]) => join(root, ...names);

function fixtures() {
  writeFileSync(p('truncated.json'), '{"input_size": 28, "blocks": [');
  writeFileSync(p('bad-arch.json'), JSON.stringify({ input_size: 28, blocks: [[['conv_k3', 8, 2, 1]], [['ir_k3', 8, 1, 1, { expansoin: 6 }]]] }));
  writeTinyData(p('data'));
  // A user's directory that is not a run: --out must not write into it.
  mkdirSync(p('mine'));
  writeFileSync(p('mine', 'result.json'), '{"mine": true}');
  // A search run whose search.json was cut off (disk full, copied half-way).
  const config = (command: string, options: Record<string, unknown>) =>
    JSON.stringify({ version: 1, command, createdAt: new Date().toISOString(), seed: 0, options });
  mkdirSync(p('cut-run', 'checkpoints'), { recursive: true });
  const v1Options = { preset: 'smoke', dataDir: null, lut: null, forceLut: false, backend: 'cpu', threads: null, queue: null };
  writeFileSync(p('cut-run', 'config.json'), config('search v1', v1Options));
  writeFileSync(p('cut-run', 'search.json'), '{"derived": {"ops": ["k3_e1"');
  // A train run whose checkpoint is garbage.
  mkdirSync(p('bad-ckpt-run', 'checkpoints'), { recursive: true });
  writeFileSync(p('bad-ckpt-run', 'config.json'), config('train', { backend: 'cpu', dataDir: null }));
  writeFileSync(p('bad-ckpt-run', 'arch.json'), readFileSync(BENCH_ARCH));
  writeFileSync(p('bad-ckpt-run', 'checkpoints', 'train.ckpt'), 'FBNETCKPT2\x10\x00\x00\x00{"meta": {}}');
  // Pipeline files: cut off, an unknown stage, an ill-typed chain, bad stage options, an unknown key.
  writeFileSync(p('cut-pipeline.json'), '{"stages": [{"stage": "train"');
  const pipeline = (v: unknown) => JSON.stringify(v);
  writeFileSync(p('p-unknown.json'), pipeline({ preset: 'smoke', stages: [{ stage: 'gumbel-supernett' }] }));
  writeFileSync(p('p-chain.json'), pipeline({ preset: 'smoke', stages: [{ stage: 'export' }, { stage: 'train' }] }));
  writeFileSync(p('p-options.json'), pipeline({ preset: 'smoke', stages: [{ stage: 'train', epochs: -2 }] }));
  writeFileSync(p('p-key.json'), pipeline({ preset: 'smoke', stagez: [] }));
  writeFileSync(p('p-queue.json'), pipeline({ preset: 'smoke', stages: [{ stage: 'jointnas', queue: { kind: 'processes', workers: 0 } }] }));
}

const A = BENCH_ARCH;
const notCreated = (name: string) => () => expect(existsSync(p(name)), `${name} must not exist`).toBe(false);

const USAGE: Case[] = [
  { argv: ['bogus'], exit: 2, code: 'USAGE', says: /unknown command "bogus"/ },
  { argv: ['cost'], exit: 2, code: 'USAGE', says: /missing <arch\.json>/ },
  { argv: ['cost', A, 'extra'], exit: 2, code: 'USAGE', says: /unexpected argument "extra"/ },
  { argv: ['cost', A, '--input-size', 'abc'], exit: 2, code: 'USAGE', says: /--input-size must be a positive integer, got "abc"/ },
  { argv: ['cost', A, '--input-size', '0'], exit: 2, code: 'USAGE', says: /--input-size must be a positive integer, got "0"/ },
  { argv: ['cost', A, '--bogus'], exit: 2, code: 'USAGE', says: /unknown flag --bogus/ },
  { argv: ['train', A, '--epochs', '-1'], exit: 2, code: 'USAGE', says: /--epochs must be a positive integer, got "-1"/ },
  { argv: ['train', A, '--epochs'], exit: 2, code: 'USAGE', says: /--epochs needs a value/ },
  { argv: ['train', A, '--seed', '1.5', '--out', p('t-seed')], exit: 2, code: 'USAGE', says: /--seed must be an integer/, after: notCreated('t-seed') },
  { argv: ['train', A, '--backend', 'tpu'], exit: 2, code: 'USAGE', says: /--backend must be one of cpu, wasm, webgpu, node-gpu/ },
  { argv: ['train', A, '--lr', 'fast'], exit: 2, code: 'USAGE', says: /--lr must be a positive number, got "fast"/ },
  { argv: ['train', '--resume', p('cut-run'), '--lr', '0.1'], exit: 2, code: 'USAGE', says: /drop --lr/ },
  { argv: ['search', 'v1', '--seed', '1.5', '--out', p('s-seed')], exit: 2, code: 'USAGE', says: /--seed must be an integer/, after: notCreated('s-seed') },
  { argv: ['search', 'v1', '--preset', 'huge'], exit: 2, code: 'USAGE', says: /unknown preset "huge"/ },
  { argv: ['search', 'v4'], exit: 2, code: 'USAGE', says: /unknown search "v4"/ },
  { argv: ['search', 'v2', '--alpha', '0.3'], exit: 2, code: 'USAGE', says: /--alpha applies to search v1/ },
  { argv: ['search', 'v1', '--threads', 'abc'], exit: 2, code: 'USAGE', says: /--threads must be a positive integer/ },
  { argv: ['search', 'v3', '--queue', 'localhost'], exit: 2, code: 'USAGE', says: /--queue must be a redis:\/\/host:port URL/ },
  { argv: ['search', 'v3', '--workers', '2', '--queue', 'redis://127.0.0.1:1', '--out', p('s-workers')], exit: 2, code: 'USAGE', says: /--workers and --queue both say where candidates train; give one/, after: notCreated('s-workers') },
  { argv: ['search', 'v3', '--workers', '0'], exit: 2, code: 'USAGE', says: /--workers must be a positive integer, got "0"/ },
  { argv: ['search', 'v1', '--workers', '2'], exit: 2, code: 'USAGE', says: /--workers applies to search v3/ },
  { argv: ['search', 'v1', '--resume', p('cut-run'), '--out', p('x')], exit: 2, code: 'USAGE', says: /drop --out/ },
  { argv: ['lut'], exit: 2, code: 'USAGE', says: /missing subcommand/ },
  { argv: ['lut', 'measure', '--space', 's', '--out', p('l.json'), '--time-ms', 'abc'], exit: 2, code: 'USAGE', says: /--time-ms must be a positive number/ },
  { argv: ['lut', 'measure', '--space', 's', '--out', p('l.json'), '--threads', 'abc'], exit: 2, code: 'USAGE', says: /--threads must be a positive integer/ },
  { argv: ['lut', 'measure', '--space', 's'], exit: 2, code: 'USAGE', says: /--out is required/ },
  { argv: ['lut', 'validate', '--lut', p('l.json'), '--samples', '0'], exit: 2, code: 'USAGE', says: /--samples must be a positive integer, got "0"/ },
  { argv: ['lut', 'serve', '--space', 's', '--out-dir', p('d'), '--port', 'abc'], exit: 2, code: 'USAGE', says: /--port must be a port number/ },
  { argv: ['lut', 'show'], exit: 2, code: 'USAGE', says: /lut show needs a table/ },
  { argv: ['bench', 'train', '--arch', A, '--batch', 'abc'], exit: 2, code: 'USAGE', says: /--batch must be a positive integer, got "abc"/ },
  { argv: ['bench', 'train', '--arch', A, '--batch', '0'], exit: 2, code: 'USAGE', says: /--batch must be a positive integer, got "0"/ },
  { argv: ['bench', 'train', '--arch', A, '--steps', 'abc'], exit: 2, code: 'USAGE', says: /--steps must be a positive integer/ },
  { argv: ['bench', 'infer'], exit: 2, code: 'USAGE', says: /--arch is required/ },
  { argv: ['bench', 'kernels'], exit: 2, code: 'USAGE', says: /needs one of --arch FILE or --space/ },
  { argv: ['bench', 'torch', '--arch', A, '--backends', 'cpu,tpu'], exit: 2, code: 'USAGE', says: /--backends must be a comma-separated list/ },
  { argv: ['bench', 'dmasking', '--rounds', '-2'], exit: 2, code: 'USAGE', says: /--rounds must be a positive integer/ },
  { argv: ['bench', 'baselines', '--random', '0'], exit: 2, code: 'USAGE', says: /--random must be a positive integer/ },
  { argv: ['bench', 'baselines', '--preset', 'huge'], exit: 2, code: 'USAGE', says: /--preset must be one of quick, smoke, full/ },
  { argv: ['search', 'v2', '--baselines', A], exit: 2, code: 'USAGE', says: /--baselines applies to search v1/ },
  { argv: ['search', 'v1', '--tau-end', '0'], exit: 2, code: 'USAGE', says: /--tau-end must be a positive number/ },
  { argv: ['search', 'v1', '--max-params', '1.5'], exit: 2, code: 'USAGE', says: /--max-params must be a positive integer/ },
  { argv: ['search', 'v3', '--max-latency-ms', '1'], exit: 2, code: 'USAGE', says: /--max-latency-ms applies to search v1/ },
  { argv: ['worker', 'stray', '--queue', 'redis://127.0.0.1:1'], exit: 2, code: 'USAGE', says: /unexpected argument "stray"/ },
  { argv: ['worker'], exit: 2, code: 'USAGE', says: /--queue is required/ },
  { argv: ['export'], exit: 2, code: 'USAGE', says: /missing <run-dir>/ },
  { argv: ['report', p('a'), p('b')], exit: 2, code: 'USAGE', says: /unexpected argument/ },
];

const FILES: Case[] = [
  { argv: ['cost', p('missing.json')], exit: 1, code: 'FILE_INVALID', says: /cannot read arch def .*missing\.json/ },
  { argv: ['cost', p('truncated.json')], exit: 1, code: 'FILE_INVALID', says: /truncated\.json is not valid JSON/ },
  { argv: ['bench', 'train', '--arch', p('missing.json')], exit: 1, code: 'FILE_INVALID', says: /missing\.json/ },
  { argv: ['bench', 'infer', '--arch', p('truncated.json')], exit: 1, code: 'FILE_INVALID', says: /truncated\.json is not valid JSON/ },
  { argv: ['lut', 'show', p('missing.json')], exit: 1, code: 'FILE_INVALID', says: /missing\.json/ },
  { argv: ['report', p('mine')], exit: 2, code: 'USAGE', says: /mine is not a run directory/ },
  { argv: ['run'], exit: 2, code: 'USAGE', says: /missing <pipeline\.json>/ },
  { argv: ['run', p('nowhere.json')], exit: 2, code: 'USAGE', says: /nowhere\.json does not exist/ },
  { argv: ['run', A, '--resume', p('cut-run'), '--seed', '3'], exit: 2, code: 'USAGE', says: /drop --seed/ },
  { argv: ['run', p('p-unknown.json'), '--out', p('r-unknown')], exit: 2, code: 'USAGE', says: /stage 1 "gumbel-supernett": unknown stage; known: .*gumbel-supernet/, after: notCreated('r-unknown') },
  {
    argv: ['run', p('p-chain.json'), '--out', p('r-chain')],
    exit: 2,
    code: 'USAGE',
    says: /stage 1 "export" needs trained weights \(weights\), and no earlier stage produces it; stage 2 "train" produces it but comes after/,
    after: notCreated('r-chain'),
  },
  { argv: ['run', p('p-options.json'), '--out', p('r-options')], exit: 2, code: 'USAGE', says: /stage 1 "train": invalid options: epochs/, after: notCreated('r-options') },
  { argv: ['run', p('p-queue.json'), '--out', p('r-queue')], exit: 2, code: 'USAGE', says: /stage 1 "jointnas": invalid options: queue/, after: notCreated('r-queue') },
  { argv: ['run', p('cut-pipeline.json'), '--out', p('r-cut')], exit: 1, code: 'FILE_INVALID', says: /cut-pipeline\.json is not valid JSON/, after: notCreated('r-cut') },
  { argv: ['run', p('p-key.json'), '--out', p('r-key')], exit: 1, code: 'FILE_INVALID', says: /p-key\.json: .*stagez/, after: notCreated('r-key') },
  { argv: ['export', p('bad-ckpt-run')], exit: 1, code: 'CHECKPOINT', says: /bad-ckpt-run\/checkpoints\/train\.ckpt/ },
  { argv: ['search', 'v1', '--resume', p('cut-run')], exit: 1, code: 'FILE_INVALID', says: /cut-run\/search\.json/ },
  { argv: ['search', 'v1', '--baselines', A, '--backend', 'cpu', '--out', p('s-base')], exit: 1, code: 'FILE_INVALID', says: /is not a baselines file/, after: notCreated('s-base') },
  // --out into a directory of the user's: refused, nothing written.
  {
    argv: ['train', A, '--out', p('mine')],
    exit: 2,
    code: 'USAGE',
    says: /mine is a directory that is not empty and is not an fbnet run/,
    after: () => expect(readdirSync(p('mine'))).toEqual(['result.json']),
  },
  // A failed start leaves no run directory behind.
  { argv: ['train', p('bad-arch.json'), '--out', p('t-arch')], exit: 1, code: 'ARCH_DEF_INVALID', says: /bad-arch\.json: .*expansoin/, after: notCreated('t-arch') },
  { argv: ['train', A, '--data-dir', p('nowhere'), '--out', p('t-data')], exit: 1, code: 'FILE_INVALID', says: /--data-dir .*nowhere/, after: notCreated('t-data') },
  {
    argv: ['search', 'v1', '--backend', 'cpu', '--lut', p('truncated.json'), '--out', p('s-lut')],
    exit: 1,
    code: 'FILE_INVALID',
    says: /truncated\.json/,
    after: notCreated('s-lut'),
  },
  // An error inside the training loop (NaN loss) on the wasm backend: exit 1, not Emscripten's 7 with its glue.
  {
    argv: ['train', A, '--lr', '1e30', '--epochs', '1', '--backend', 'wasm', '--data-dir', p('data'), '--out', p('t-nan')],
    exit: 1,
    code: 'NUMERIC',
    says: /training loss became NaN/,
  },
  // The same inside the supernet search (issue: exit 7 and ~40 KB of wasm glue on stderr).
  {
    argv: ['search', 'v1', '--preset', 'smoke', '--backend', 'wasm', '--alpha', '1e308', '--beta', '1e308']
      .concat(['--data-dir', p('data'), '--out', p('s-inf')]),
    exit: 1,
    code: 'NUMERIC',
    says: /supernet weight loss became Infinity/,
  },
];

function checkContract(c: Case, r: CliRun): void {
  const what = `fbnet ${c.argv.join(' ')}\nstderr: ${r.stderr.slice(0, 2000)}`;
  expect(r.code, what).toBe(c.exit);
  let last: { error?: { code?: string; message?: string } };
  try {
    last = JSON.parse(r.last);
  } catch {
    throw new Error(`last stdout line is not JSON: ${r.last}\n${what}`);
  }
  expect(last.error?.code, what).toBe(c.code);
  expect(r.stderr, what).toMatch(c.says);
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
  // One paragraph: no blank line, and short (a stack or a minified bundle would not be).
  expect(r.stderr.trim(), what).not.toMatch(/\n\s*\n/);
  expect(r.stderr.length, what).toBeLessThan(4000);
  c.after?.();
}

describe('fbnet: exit codes, JSON error line, no stack traces', () => {
  beforeAll(fixtures);

  it('bad flags of every command are usage errors (exit 2) before any work', { timeout: 120_000 }, async () => {
    const runs = await pooled(USAGE, 3, (c) => fbnetAsync([...c.argv, '--json'], root));
    USAGE.forEach((c, i) => checkContract(c, runs[i]));
  });

  it('bad files are named; a failed start creates nothing; a loop error ends by the contract', { timeout: 180_000 }, async () => {
    const runs = await pooled(FILES, 3, (c) => fbnetAsync([...c.argv, '--json'], root));
    FILES.forEach((c, i) => checkContract(c, runs[i]));
  });

  it('the light lists the grammar checks against match the packages they stand for', async () => {
    const { SEARCH_V1_PRESETS } = await import('@fbnet/pipeline');
    const { SEARCH_V2_PRESETS } = await import('@fbnet/dmasking');
    const { SEARCH_V3_PRESETS } = await import('@fbnet/jointnas');
    expect(SEARCH_PRESET_NAMES.v1).toEqual(Object.keys(SEARCH_V1_PRESETS));
    expect(SEARCH_PRESET_NAMES.v2).toEqual(Object.keys(SEARCH_V2_PRESETS));
    expect(SEARCH_PRESET_NAMES.v3).toEqual(Object.keys(SEARCH_V3_PRESETS));
    const { PIPELINE_PRESETS } = await import('@fbnet/pipeline');
    expect([...RUN_PRESETS]).toEqual([...PIPELINE_PRESETS]);
  });
});

import { describe, expect, it } from 'vitest';
import { BACKEND_PLUGINS, FbnetError } from '@fbnet/core';
import { BENCH_GRAMMARS } from './commands/bench.ts';
import { COST_GRAMMAR } from './commands/cost.ts';
import { LUT_GRAMMARS } from './commands/lut.ts';
import { SEARCH_GRAMMAR } from './commands/search.ts';
import { TRAIN_GRAMMAR } from './commands/train.ts';
import { WORKER_GRAMMAR } from './commands/worker.ts';
import { parseCommandLine, parseSubcommand } from './flags.ts';

function usageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FbnetError);
    expect((e as FbnetError).code).toBe('USAGE');
    return (e as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('parseCommandLine', () => {
  it('converts and types values; absent flags are undefined', () => {
    const r = parseCommandLine(['a.json', '--epochs', '3', '--lr=0.05', '--seed', '7', '--json'], TRAIN_GRAMMAR);
    expect(r.args).toEqual(['a.json']);
    expect(r.flags).toMatchObject({ epochs: 3, lr: 0.05, seed: 7, json: true });
    expect(r.flags.batch).toBeUndefined();
    expect(r.flags.backend).toBeUndefined();
  });

  it.each([
    [['a.json', '--epochs', '-1'], /--epochs must be a positive integer, got "-1"/],
    [['a.json', '--epochs', '2.5'], /--epochs must be a positive integer, got "2.5"/],
    [['a.json', '--epochs', ''], /--epochs must be a positive integer/],
    [['a.json', '--epochs'], /--epochs needs a value/],
    [['a.json', '--epochs', '--json'], /--epochs needs a value/],
    [['a.json', '--lr', 'abc'], /--lr must be a positive number, got "abc"/],
    [['a.json', '--lr', 'Infinity'], /--lr must be a positive number/],
    [['a.json', '--seed', '1.5'], /--seed must be an integer from 0 to 4294967295, got "1.5"/],
    [['a.json', '--seed', '4294967296'], /--seed must be an integer/],
    [['a.json', '--backend', 'tpu'], /--backend must be one of cpu, wasm, webgpu, node-gpu, auto, got "tpu"/],
    [['a.json', '--json=yes'], /--json takes no value/],
    [['a.json', '--bogus'], /unknown flag --bogus; known: --json, --epochs/],
    [['a.json', '-x'], /unknown flag -x/],
    [['a.json', '--constructor'], /unknown flag --constructor/],
    [['a.json', 'b.json'], /unexpected argument "b.json"/],
    [[], /missing <arch.json>/],
    [['--resume', 'r', 'a.json'], /--resume trains the run's own arch.json; drop "a.json"/],
    [['--resume', 'r', '--lr', '0.1'], /drop --lr/],
  ])('train %j → %s', (argv, message) => {
    expect(usageOf(() => parseCommandLine(argv, TRAIN_GRAMMAR))).toMatch(message);
  });

  it('reports every bad flag at once, a missing required flag by name', () => {
    const m = usageOf(() => parseSubcommand(['serve', '--port', 'abc'], LUT_GRAMMARS));
    expect(m).toBe('--space is required; --out-dir is required; --port must be a port number 0..65535, got "abc"');
  });

  it('a value that starts with "-" is a value, not a flag, unless it starts with "--"', () => {
    expect(usageOf(() => parseCommandLine(['a.json', '--input-size', '-3'], COST_GRAMMAR))).toMatch(/got "-3"/);
    expect(parseCommandLine(['a.json', '--input-size', '32'], COST_GRAMMAR).flags['input-size']).toBe(32);
  });

  it('search: version, presets, flags of one version, resume rules', () => {
    expect(parseCommandLine(['v1', '--beta', '0.6', '--preset', 'smoke'], SEARCH_GRAMMAR).flags.beta).toBe(0.6);
    expect(usageOf(() => parseCommandLine(['v4'], SEARCH_GRAMMAR))).toMatch(/unknown search "v4"; known: v1, v2, v3/);
    expect(usageOf(() => parseCommandLine([], SEARCH_GRAMMAR))).toMatch(/missing <v1\|v2\|v3>/);
    expect(usageOf(() => parseCommandLine(['v1', '--preset', 'huge'], SEARCH_GRAMMAR))).toMatch(/unknown preset "huge" for search v1/);
    expect(usageOf(() => parseCommandLine(['v2', '--alpha', '0.3'], SEARCH_GRAMMAR))).toMatch(/--alpha applies to search v1/);
    expect(usageOf(() => parseCommandLine(['v1', '--queue', 'redis://h:1'], SEARCH_GRAMMAR))).toMatch(/--queue applies to search v3/);
    expect(usageOf(() => parseCommandLine(['v3', '--queue', 'http://h'], SEARCH_GRAMMAR))).toMatch(/--queue must be a redis:\/\/host:port URL/);
    expect(usageOf(() => parseCommandLine(['v1', '--resume', 'r', '--out', 'o'], SEARCH_GRAMMAR))).toMatch(/drop --out/);
    expect(usageOf(() => parseCommandLine(['v1', '--resume', 'r', '--preset', 'smoke'], SEARCH_GRAMMAR))).toMatch(/drop --preset/);
    // May change on resume (recorded in the run), so they parse.
    const r = parseCommandLine(['v3', '--resume', 'r', '--threads', '4', '--queue', 'redis://h:1', '--force-lut'], SEARCH_GRAMMAR);
    expect(r.flags).toMatchObject({ threads: 4, queue: 'redis://h:1', 'force-lut': true });
    expect(parseCommandLine(['v3', '--resume', 'r', '--workers', '3'], SEARCH_GRAMMAR).flags.workers).toBe(3);
  });

  it('search --workers: v3 only, a positive integer (1 is one child), not with --queue', () => {
    expect(parseCommandLine(['v3', '--workers', '4'], SEARCH_GRAMMAR).flags).toMatchObject({ workers: 4 });
    expect(parseCommandLine(['v3', '--workers=1', '--threads', '2'], SEARCH_GRAMMAR).flags).toMatchObject({ workers: 1, threads: 2 });
    expect(parseCommandLine(['v3'], SEARCH_GRAMMAR).flags.workers).toBeUndefined();
    expect(usageOf(() => parseCommandLine(['v3', '--workers', '0'], SEARCH_GRAMMAR))).toMatch(/--workers must be a positive integer, got "0"/);
    expect(usageOf(() => parseCommandLine(['v3', '--workers', '1.5'], SEARCH_GRAMMAR))).toMatch(/--workers must be a positive integer/);
    expect(usageOf(() => parseCommandLine(['v3', '--workers'], SEARCH_GRAMMAR))).toMatch(/--workers needs a value/);
    expect(usageOf(() => parseCommandLine(['v1', '--workers', '2'], SEARCH_GRAMMAR))).toMatch(/--workers applies to search v3/);
    expect(usageOf(() => parseCommandLine(['v2', '--workers', '2'], SEARCH_GRAMMAR))).toMatch(/--workers applies to search v3/);
    for (const argv of [
      ['v3', '--workers', '2', '--queue', 'redis://h:1'],
      ['v3', '--queue', 'redis://h:1', '--workers', '1'],
      ['v3', '--resume', 'r', '--workers', '2', '--queue', 'redis://h:1'],
    ]) {
      expect(usageOf(() => parseCommandLine(argv, SEARCH_GRAMMAR))).toMatch(/--workers and --queue both say where candidates train; give one/);
    }
  });

  it('search v3 --workers / --queue reach the jointnas stage of the pipeline as its queue', { timeout: 60_000 }, async () => {
    const { searchPipeline } = await import('./pipelines/search-v1.ts');
    const { checkPipeline } = await import('@fbnet/pipeline');
    const base = { presetName: 'smoke', seed: 0, backend: 'cpu' };
    const jointnas = (o: Parameters<typeof searchPipeline>[1]) => {
      const checked = checkPipeline(searchPipeline('v3', o));
      return checked.find((s) => s.name === 'jointnas')!.options;
    };
    expect(jointnas({ ...base, workers: 3 }).queue).toEqual({ kind: 'processes', workers: 3 });
    expect(jointnas({ ...base, workers: 1 }).queue).toEqual({ kind: 'processes', workers: 1 });
    expect(jointnas({ ...base, queue: 'redis://h:1' }).queue).toBe('redis://h:1');
    expect(jointnas(base).queue).toBeUndefined();
    expect(usageOf(() => searchPipeline('v3', { ...base, workers: 2, queue: 'redis://h:1' }))).toMatch(/--workers and --queue/);
    // The same queue in a pipeline file (fbnet run pipelines/v3.json): a spec, checked before any work.
    const file = (queue: unknown) => ({ ...searchPipeline('v3', base), stages: [{ stage: 'jointnas', queue }] });
    expect(checkPipeline(file({ kind: 'processes', workers: 2, threads: 2, backend: 'wasm' }))[0].options.queue).toEqual({ kind: 'processes', workers: 2, threads: 2, backend: 'wasm' });
    expect(checkPipeline(file({ kind: 'redis', connection: 'redis://h:1' }))[0].options.queue).toEqual({ kind: 'redis', connection: 'redis://h:1' });
    expect(usageOf(() => checkPipeline(file({ kind: 'processes', workers: 0 })))).toMatch(/stage 1 "jointnas": invalid options: queue/);
    expect(usageOf(() => checkPipeline(file({ kind: 'processes', worker: 2 })))).toMatch(/stage 1 "jointnas": invalid options: queue/);
    expect(usageOf(() => checkPipeline(file({ kind: 'threads' })))).toMatch(/stage 1 "jointnas": invalid options: queue/);
  });

  it('subcommands have their own flags', () => {
    const m = parseSubcommand(['measure', '--space', 's', '--out', 'o.json', '--time-ms', '50'], LUT_GRAMMARS);
    expect(m.sub).toBe('measure');
    expect(m.flags).toMatchObject({ space: 's', out: 'o.json', 'time-ms': 50 });
    expect(usageOf(() => parseSubcommand(['show', 'x.json', '--samples', '3'], LUT_GRAMMARS))).toMatch(/unknown flag --samples/);
    expect(usageOf(() => parseSubcommand(['show'], LUT_GRAMMARS))).toMatch(/lut show needs a table/);
    expect(usageOf(() => parseSubcommand(['frob'], LUT_GRAMMARS))).toMatch(/unknown subcommand "frob"; known: measure, validate, show, serve/);
    expect(usageOf(() => parseSubcommand(['--json'], BENCH_GRAMMARS))).toMatch(/missing subcommand/);
    expect(usageOf(() => parseSubcommand(['kernels', '--arch', 'a', '--space', 's'], BENCH_GRAMMARS))).toMatch(/one of --arch FILE or --space/);
    expect(usageOf(() => parseSubcommand(['torch', '--arch', 'a', '--backends', 'cpu,tpu'], BENCH_GRAMMARS))).toMatch(/--backends must be/);
    expect(parseSubcommand(['torch', '--arch', 'a', '--backends', 'cpu, wasm'], BENCH_GRAMMARS).flags).toMatchObject({ backends: ['cpu', 'wasm'] });
    expect(usageOf(() => parseCommandLine(['stray', '--queue', 'redis://h:1'], WORKER_GRAMMAR))).toMatch(/unexpected argument "stray"/);
  });

  it('--backend: auto only where a command may pick by benchmark; registered plugins are accepted once registered', () => {
    expect(parseCommandLine(['a.json', '--backend', 'auto'], TRAIN_GRAMMAR).flags.backend).toBe('auto');
    expect(parseCommandLine(['v1', '--backend', 'auto'], SEARCH_GRAMMAR).flags.backend).toBe('auto');
    expect(parseSubcommand(['infer', '--arch', 'a', '--backend', 'auto'], BENCH_GRAMMARS).flags).toMatchObject({ backend: 'auto' });
    expect(usageOf(() => parseCommandLine(['--queue', 'redis://h:1', '--backend', 'auto'], WORKER_GRAMMAR))).toMatch(
      /--backend must be one of cpu, wasm, webgpu, node-gpu, got "auto"/,
    );
    expect(usageOf(() => parseCommandLine(['a.json', '--backend', 'flag-test-plugin'], TRAIN_GRAMMAR))).toMatch(/got "flag-test-plugin"/);
    BACKEND_PLUGINS.register('flag-test-plugin', async () => {
      throw new Error('never loaded by parsing');
    });
    expect(parseCommandLine(['a.json', '--backend', 'flag-test-plugin'], TRAIN_GRAMMAR).flags.backend).toBe('flag-test-plugin');
    const torch = parseSubcommand(['torch', '--arch', 'a', '--backends', 'wasm,flag-test-plugin'], BENCH_GRAMMARS);
    expect(torch.flags).toMatchObject({ backends: ['wasm', 'flag-test-plugin'] });
    expect(usageOf(() => parseCommandLine(['a.json', '--backend', 'tpu'], TRAIN_GRAMMAR))).toMatch(
      /one of cpu, wasm, webgpu, node-gpu, flag-test-plugin, auto, got "tpu"/,
    );
  });
});

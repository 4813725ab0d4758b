import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNewRunDir, checkRunFiles, createRun, finishedResult, recordResume, runRelative, shownResult, storeResult } from './run-files.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'fbnet-run-files-'));

describe('run files', () => {
  it('--out: new, empty or a run is fine; a file or a non-empty non-run directory is refused', () => {
    const d = tmp();
    expect(() => checkNewRunDir(join(d, 'new'))).not.toThrow();
    mkdirSync(join(d, 'empty'));
    expect(() => checkNewRunDir(join(d, 'empty'))).not.toThrow();
    writeFileSync(join(d, 'file'), 'x');
    expect(() => checkNewRunDir(join(d, 'file'))).toThrow(/is a file, not a directory/);
    mkdirSync(join(d, 'mine'));
    writeFileSync(join(d, 'mine', 'notes.txt'), 'x');
    expect(() => createRun(join(d, 'mine'), { command: 'train', seed: 0, options: {} })).toThrow(/not empty and is not an fbnet run/);
    expect(readFileSync(join(d, 'mine', 'notes.txt'), 'utf8')).toBe('x');
  });

  it('stores result paths relative to the run, shows them resolved; paths outside the run stay absolute', () => {
    const d = tmp();
    const run = createRun(join(d, 'r'), { command: 'train', seed: 0, options: {} });
    expect(runRelative(run, join(run.path, 'model', 'model.json'))).toBe(join('model', 'model.json'));
    expect(runRelative(run, join(d, 'elsewhere.json'))).toBe(join(d, 'elsewhere.json'));
    expect(runRelative(run, 'already/relative.json')).toBe('already/relative.json');
    const stored = storeResult(run, { modelPath: run.file('model/model.json'), archPath: run.file('arch.json'), runDir: run.path, acc: 0.9 });
    expect(stored).toMatchObject({ modelPath: 'model/model.json', archPath: 'arch.json', acc: 0.9 });
    expect(stored.runDir).toBeUndefined();
    expect(finishedResult(run)).toEqual(stored);
    expect(shownResult(run, stored)).toMatchObject({ modelPath: run.file('model/model.json'), runDir: run.path });
    run.close();
  });

  it('a result a stage wrote before the CLI finished is not a finished run; a cut run file is named', () => {
    const d = tmp();
    const run = createRun(join(d, 'r'), { command: 'search v1', seed: 0, options: {} });
    run.writeJson('result.json', { modelPath: '/x/model.json' });
    expect(finishedResult(run)).toBeUndefined();
    writeFileSync(run.file('search.json'), '{"derived": {');
    expect(() => checkRunFiles(run, ['lut.json', 'search.json'])).toThrow(/search\.json is not valid JSON.*delete .*search\.json to redo that phase/s);
    run.close();
  });

  it('records options changed on resume in config.json', () => {
    const d = tmp();
    const run = createRun(join(d, 'r'), { command: 'search v1', seed: 0, options: { threads: null, preset: 'quick' } });
    expect(recordResume(run, {})).toEqual({ threads: null, preset: 'quick' });
    expect(recordResume(run, { threads: 4 })).toEqual({ threads: 4, preset: 'quick' });
    const cfg = JSON.parse(readFileSync(run.file('config.json'), 'utf8'));
    expect(cfg.options).toEqual({ threads: 4, preset: 'quick' });
    expect(cfg.resumes).toEqual([{ at: expect.any(String), changed: { threads: 4 } }]);
    run.close();
  });
});

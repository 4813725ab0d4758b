import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FbnetError } from '../errors.ts';
import { fileSlug, readJsonCapped, readTextCapped, safeJoin } from './index.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'fbnet-core-node-'));

describe('safeJoin', () => {
  it('joins names that stay inside the folder, including ones not created yet', () => {
    const d = tmp();
    expect(safeJoin(d, 'a.json')).toBe(join(d, 'a.json'));
    expect(safeJoin(d, 'sub/new/b.json')).toBe(join(d, 'sub', 'new', 'b.json'));
    expect(safeJoin(join(d, 'not-yet'), 'c.json')).toBe(join(d, 'not-yet', 'c.json'));
  });
  it('refuses .., absolute names, the folder itself and escapes through a symlinked subfolder', () => {
    const d = tmp();
    const outside = tmp();
    symlinkSync(outside, join(d, 'link'));
    for (const name of ['../x.json', 'a/../../x.json', '/etc/passwd', '.', 'link/x.json', 'link/deeper/x.json']) {
      expect(() => safeJoin(d, name), name).toThrow(FbnetError);
      expect(() => safeJoin(d, name), name).toThrow(/outside/);
    }
  });
});

describe('fileSlug', () => {
  it('keeps only an allow-list of characters and never yields a path', () => {
    expect(fileSlug('wasm')).toBe('wasm');
    expect(fileSlug('x/../../../../outside')).toBe('x-.-.-.-.-outside');
    expect(fileSlug('../..')).toBe('x');
    expect(fileSlug('..\\..\\win')).toBe('win');
    expect(fileSlug('a'.repeat(100))).toHaveLength(40);
    for (const s of ['x/../../../../outside', '../..', '\0/etc', 'C:\\x']) expect(fileSlug(s)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
  });
});

describe('readTextCapped / readJsonCapped', () => {
  it('refuses a file over the cap before reading it, naming the file and the cap', () => {
    const d = tmp();
    const p = join(d, 'arch.json');
    writeFileSync(p, '');
    truncateSync(p, 50 * 1024 * 1024); // a sparse 50 MB file: instant to make, slow to read
    const t0 = Date.now();
    expect(() => readTextCapped(p, 'arch def', 4 * 1024 * 1024)).toThrow(`arch def ${p} is 50 MiB, over the 4 MiB cap`);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
  it('reads a file under the cap; missing file and bad JSON name the file', () => {
    const d = tmp();
    writeFileSync(join(d, 'a.json'), '{"x":1}');
    expect(readJsonCapped(join(d, 'a.json'), 'thing', 100)).toEqual({ x: 1 });
    expect(() => readJsonCapped(join(d, 'nope.json'), 'thing', 100)).toThrow(`cannot read thing ${join(d, 'nope.json')}: ENOENT (no such file)`);
    writeFileSync(join(d, 'b.json'), '{"x":');
    expect(() => readJsonCapped(join(d, 'b.json'), 'thing', 100)).toThrow(`thing ${join(d, 'b.json')} is not valid JSON`);
    mkdirSync(join(d, 'dir'));
    expect(() => readJsonCapped(join(d, 'dir'), 'thing', 100)).toThrow(/is a directory/);
  });
});

import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FbnetError } from '@fbnet/core';
import { readArchDef } from './files.ts';

describe('readArchDef', () => {
  it('refuses an arch def over the size cap before reading it, naming the file and the cap', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'fbnet-files-')), 'arch.json');
    writeFileSync(p, '');
    truncateSync(p, 50 * 1024 * 1024);
    expect(() => readArchDef(p)).toThrow(FbnetError);
    expect(() => readArchDef(p)).toThrow(`arch def ${p} is 50 MiB, over the 4 MiB cap`);
  });
  it('names the file for a missing file, bad JSON and a bad field', () => {
    const d = mkdtempSync(join(tmpdir(), 'fbnet-files-'));
    expect(() => readArchDef(join(d, 'missing.json'))).toThrow(/cannot read arch def .*missing\.json: ENOENT/);
    writeFileSync(join(d, 'bad.json'), '{"blocks": [');
    expect(() => readArchDef(join(d, 'bad.json'))).toThrow(`arch def ${join(d, 'bad.json')} is not valid JSON`);
    writeFileSync(join(d, 'field.json'), '{"blocks": [[["conv_k3", 8, 1, 1, {"bogus": 1}]]]}');
    expect(() => readArchDef(join(d, 'field.json'))).toThrow(new RegExp(`^${join(d, 'field.json')}: invalid arch def`));
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/fbnet.js', import.meta.url));
const v3a = fileURLToPath(new URL('../../shape-propagation/fixtures/fbnetv3_a.json', import.meta.url));

function fbnet(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: r.stdout.trim().split('\n').at(-1) ?? '' };
}

describe('fbnet CLI', () => {
  it('fbnet cost --json gives FBNetV3-A exactly: 356,598,280 multiply-adds and 8,542,224 params', () => {
    const r = fbnet('cost', v3a, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.last);
    expect(j.flops).toBe(356598280);
    expect(j.params).toBe(8542224);
    expect(j.stages).toHaveLength(7);
  });
  it('fbnet cost prints a per-stage breakdown', () => {
    const r = fbnet('cost', v3a);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/total: 356\.59828 MFLOPs \(356598280 multiply-adds\), 8\.542 M params \(8542224\)/);
    expect(r.stdout).toMatch(/^\s+4\s+11\s+13x13x120/m);
  });
  it('a malformed arch def gets a named error and exit code 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-cli-'));
    const p = join(dir, 'bad.json');
    writeFileSync(p, JSON.stringify({ input_size: 32, blocks: [[['conv_k3', 16, 2, 1]], [['ir_k3', 16, 1, 1, { expansoin: 6 }]]] }));
    const r = fbnet('cost', p, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.last).error.code).toBe('ARCH_DEF_INVALID');
    expect(r.stderr).toContain('stage 1, block 0, field "expansoin": unknown kwarg');
    writeFileSync(p, '{"input_size": 32, "blocks": [');
    expect(fbnet('cost', p).stderr).toMatch(/bad\.json is not valid JSON/);
    expect(fbnet('cost', join(dir, 'missing.json')).stderr).toMatch(/cannot read arch def .*missing\.json: ENOENT/);
  });
  it('usage errors exit 2', () => {
    expect(fbnet('cost').code).toBe(2);
    expect(fbnet('frobnicate').code).toBe(2);
    expect(fbnet('cost', v3a, '--bogus').code).toBe(2);
    const help = fbnet('cost', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: fbnet cost <arch\.json>/);
  });
  it('search flags are checked before anything runs; --resume keeps the run\'s own options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-cli-'));
    const beta = fbnet('search', 'v1', '--beta', 'abc', '--out', join(dir, 'never'));
    expect(beta.code).not.toBe(0);
    expect(beta.stderr).toMatch(/--beta must be a positive number, got "abc"/);
    expect(fbnet('search', 'v1', '--epochs', '2.5', '--out', join(dir, 'never')).stderr).toMatch(/--epochs must be a positive integer/);
    const v2 = fbnet('search', 'v2', '--alpha', '0.3', '--out', join(dir, 'never'));
    expect(v2.code).toBe(2);
    expect(v2.stderr).toMatch(/--alpha applies to search v1/);
    const res = fbnet('search', 'v1', '--resume', join(dir, 'never'), '--beta', '0.6');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--resume continues a run with the options it was started with; drop --beta/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

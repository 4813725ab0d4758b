/**
 * The committed wasm/fbnet-kernels.wasm must be exactly what build.sh makes from csrc/, so a
 * reviewer can trust the binary. Needs clang with the wasm32 target and wasm-ld; skipped
 * (with the reason) when they are missing or a different clang version made the binary.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const committed = join(pkg, 'wasm', 'fbnet-kernels.wasm');

function clangVersion(): string | undefined {
  const r = spawnSync(process.env.CLANG ?? 'clang', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0] : undefined;
}

describe('committed kernel binary', () => {
  it('is valid WebAssembly using SIMD, threads and an imported shared memory', async () => {
    const module = await WebAssembly.compile(readFileSync(committed));
    const imports = WebAssembly.Module.imports(module);
    expect(imports).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const names = WebAssembly.Module.exports(module).map((e) => e.name);
    for (const fn of ['fb_sgemm', 'fb_conv2d_fwd', 'fb_dwconv_bwd_filter', 'fb_bn_act_grad', 'fb_worker_loop', '__stack_pointer'])
      expect(names).toContain(fn);
  });

  it('is byte-identical to a fresh build of csrc/ (needs clang)', (ctx) => {
    const have = clangVersion();
    if (!have) return ctx.skip('clang not found on PATH: cannot rebuild the wasm (the committed binary is used as is)');
    const made = readFileSync(join(pkg, 'wasm', 'clang-version.txt'), 'utf8').trim();
    if (have.trim() !== made) return ctx.skip(`committed binary was built with "${made}", this machine has "${have}"`);
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-native-build-'));
    try {
      const out = join(dir, 'k.wasm');
      const r = spawnSync('bash', [join(pkg, 'build.sh'), out], { encoding: 'utf8' });
      if (r.status !== 0 && /unknown target|wasm-ld|No such file/i.test(r.stderr))
        return ctx.skip(`clang cannot target wasm32 here: ${r.stderr.split('\n')[0]}`);
      expect(r.status, r.stderr).toBe(0);
      const fresh = readFileSync(out), old = readFileSync(committed);
      expect(fresh.length, 'size differs: run `npm run build -w @fbnet/native-kernels` and commit wasm/').toBe(old.length);
      expect(Buffer.compare(fresh, old), 'bytes differ: run the build and commit wasm/').toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = mkdtempSync(join(tmpdir(), 'fbnet-report-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a module snippet in a fresh Node (TypeScript through tsx) and list the vega* modules it resolved. */
function vegaModulesLoadedBy(code: string): { out: string; vega: string[] } {
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(hooks, `export async function resolve(s, c, next) { if (/^vega/.test(s)) process.stderr.write('VEGA ' + s + '\\n'); return next(s, c); }\n`);
  const reg = join(dir, 'register.mjs');
  writeFileSync(reg, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const r = spawnSync(process.execPath, ['--import', reg, '--import', 'tsx', '--input-type=module', '-e', code], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  return { out: r.stdout, vega: [...r.stderr.matchAll(/^VEGA (\S+)$/gm)].map((m) => m[1]) };
}

describe('vega loads lazily', () => {
  it('importing @fbnet/report (as the CLI and the pipeline do) loads no vega module; the first chart does', () => {
    const plain = vegaModulesLoadedBy(`await import('@fbnet/report'); console.log('imported');`);
    expect(plain.out).toContain('imported');
    expect(plain.vega).toEqual([]);
    const drawn = vegaModulesLoadedBy(
      `const r = await import('@fbnet/report'); const svg = await r.renderChart(r.lineChart({ series: [{ name: 'a', points: [[1, 1], [2, 2]] }] })); console.log(svg.startsWith('<svg') ? 'drawn' : 'no svg');`,
    );
    expect(drawn.out).toContain('drawn');
    expect(drawn.vega).toEqual(expect.arrayContaining(['vega', 'vega-lite']));
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLED_FASHION_MNIST_DIR } from './fashion-mnist.ts';
import { readIdx } from './read-idx.ts';
import { sha256Hex } from './sha256.ts';
import { SUBSET_MANIFEST_FILE, parseSubsetManifest } from './subset-manifest.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const FULL_DIR = '/usr/share/datasets/fashion-mnist';
const hasFull = existsSync(join(FULL_DIR, 'train-images-idx3-ubyte.gz')) || existsSync(join(FULL_DIR, 'train-images-idx3-ubyte'));

describe('bundled Fashion-MNIST subset', () => {
  const manifest = parseSubsetManifest(JSON.parse(readFileSync(join(BUNDLED_FASHION_MNIST_DIR, SUBSET_MANIFEST_FILE), 'utf8')));

  it('holds exactly the files its manifest lists, with matching sha256 and size', () => {
    const onDisk = readdirSync(BUNDLED_FASHION_MNIST_DIR).filter((f) => f !== SUBSET_MANIFEST_FILE).sort();
    expect(onDisk).toEqual(Object.keys(manifest.files).sort());
    for (const [name, entry] of Object.entries(manifest.files)) {
      const b = readFileSync(join(BUNDLED_FASHION_MNIST_DIR, name));
      expect(b.length, name).toBe(entry.bytes);
      expect(sha256Hex(b), name).toBe(entry.sha256);
    }
  });

  it('is 1000 train / 200 test images per class', () => {
    expect(manifest.splits.train.countsPerClass).toEqual(new Array(10).fill(1000));
    expect(manifest.splits.test.countsPerClass).toEqual(new Array(10).fill(200));
  });

  it.skipIf(!hasFull)(`re-running tools/make-fmnist-subset.ts reproduces the committed files byte for byte${hasFull ? '' : ` — skipped: the full set is not installed at ${FULL_DIR}`}`, () => {
    const out = mkdtempSync(join(tmpdir(), 'fbnet-subset-'));
    const tsx = join(REPO, 'node_modules', '.bin', 'tsx');
    execFileSync(tsx, [join(REPO, 'tools', 'make-fmnist-subset.ts'), '--src', FULL_DIR, '--out', out], { cwd: REPO, stdio: 'pipe' });
    const committed = readdirSync(BUNDLED_FASHION_MNIST_DIR).sort();
    expect(readdirSync(out).sort()).toEqual(committed);
    for (const name of committed) {
      const want = readFileSync(join(BUNDLED_FASHION_MNIST_DIR, name));
      const got = readFileSync(join(out, name));
      if (!want.equals(got) && name.endsWith('.gz')) {
        // Tell a changed selection from a changed zlib: compare what the files decode to.
        const same = Buffer.from(readIdx(got).data.buffer).equals(Buffer.from(readIdx(want).data.buffer));
        expect.fail(`${name} differs from the committed file; decoded contents ${same ? 'match (the bundled zlib changed)' : 'differ (the selection changed)'}`);
      }
      expect(got.equals(want), name).toBe(true);
    }
  });
});

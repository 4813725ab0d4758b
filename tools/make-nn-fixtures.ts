/**
 * Fixtures for @fbnet/nn numerics: builds small nets with TF.js, dumps their resolved block
 * specs, parameters and an input batch, then asks PyTorch (tools/torch-nn-reference.py, run
 * with Debian's /usr/bin/python3) to compute the same forward/backward independently.
 *
 *   npx tsx tools/make-nn-fixtures.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '@fbnet/core';
import { Net } from '@fbnet/nn';

export const NN_FIXTURE_ARCHS = {
  'all-nodes': {
    input_size: 16,
    input_channels: 2,
    num_classes: 5,
    basic_args: { width_divisor: 1 },
    blocks: [
      [['conv_k3_hs', 8, 2, 1]],
      [['ir_k3_g2', 8, 1, 1, { expansion: 3, pwl_groups: 2 }]],
      [['ir_k5_sehsig_hs', 12, 2, 1, { expansion: 4, dw_args: { padding: 1 } }, { less_se_channels: true }]],
      [['ir_k3_se', 12, 1, 1, { expansion: 2, bias: true }]],
      [['skip', 16, 2, 1], ['skip', 16, 1, 1]],
      [['ir_k3', 16, 1, 1, { expansion: 2, dw_group_ratio: 2 }]],
      [['ir_pool_hs', 24, 1, 1, { expansion: 2 }]],
    ],
  },
  'fbnet-bench-like': {
    input_size: 28,
    input_channels: 1,
    num_classes: 10,
    blocks: [
      [['conv_k3', 16, 2, 1]],
      [['ir_k3', 16, 1, 1, { expansion: 1 }]],
      [['ir_k3', 24, 2, 1, { expansion: 6 }], ['ir_k5', 24, 1, 1, { expansion: 3 }]],
      [['ir_k5_g2', 32, 2, 1, { expansion: 6 }], ['ir_k3', 32, 1, 1, { expansion: 6 }]],
    ],
  },
};

async function main() {
  await tf.setBackend('cpu');
  const out: Record<string, unknown> = {};
  const dir = mkdtempSync(join(tmpdir(), 'nn-fixture-'));
  for (const [name, arch] of Object.entries(NN_FIXTURE_ARCHS)) {
    const net = new Net(arch as never, { seed: 7, normalization: { mean: Array(arch.input_channels).fill(0.3), std: Array(arch.input_channels).fill(0.4) } });
    // Give BN affine params non-trivial values so the reference exercises them.
    const rng = new Rng(11);
    for (const [pname, v] of net.store.entries()) {
      if (/bn\.(gamma|beta)$/.test(pname) || /\.b$/.test(pname)) {
        const d = new Float32Array(v.size).map(() => (pname.endsWith('gamma') ? 1 : 0) + 0.2 * rng.normal());
        v.assign(tf.tensor(d, v.shape));
      }
    }
    const n = 4;
    const s = arch.input_size;
    const x = new Float32Array(n * s * s * arch.input_channels).map(() => Math.floor(rng.next() * 256));
    const labels = Array.from({ length: n }, () => rng.int(arch.num_classes));
    const specs = net.blocks.map((b) => ({ prefix: b.prefix, spec: b.spec }));
    const params = Object.fromEntries(net.store.entries().map(([k, v]) => [k, { shape: v.shape, trainable: v.trainable, data: Array.from(v.dataSync()) }]));
    out[name] = { arch, specs, params, normalization: net.normalization, input: { shape: [n, s, s, arch.input_channels], data: Array.from(x) }, labels, labelSmoothing: 0.1 };
    net.dispose();
  }
  const inPath = join(dir, 'in.json');
  const outPath = join(dir, 'out.json');
  writeFileSync(inPath, JSON.stringify(out));
  execFileSync('/usr/bin/python3', ['tools/torch-nn-reference.py', inPath, outPath], { stdio: 'inherit' });
  const ref = JSON.parse(readFileSync(outPath, 'utf8'));
  for (const name of Object.keys(out)) Object.assign(out[name] as object, { expected: ref[name] });
  writeFileSync('packages/nn/fixtures/torch-nn-reference.json', JSON.stringify(out, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(8)) : v)));
  console.log('wrote packages/nn/fixtures/torch-nn-reference.json');
}

if (import.meta.url === `file://${process.argv[1]}`) main();

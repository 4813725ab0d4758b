/**
 * `npm run bench -w @fbnet/backend-common`: tinybench timings of the portable JS kernels on
 * the reference net's largest training shapes (batch 64). Results (no assertions) go to
 * benchmarks/results/<device>.json under `common/js-kernels`.
 */
import { Bench } from 'tinybench';
import { Rng } from '@fbnet/core';
import { deviceFingerprint } from '../fingerprint.ts';
import { writeDeviceResult } from '../bench/results.ts';
import { batchNormActBackward, batchNormActForward } from './batch-norm-act.ts';
import { conv2dBackpropFilter, conv2dBackpropInput, conv2dForward } from './conv2d.ts';
import type { ConvGeometry } from './conv-geometry.ts';
import { depthwiseBackpropFilter, depthwiseBackpropInput, depthwiseForward } from './depthwise.ts';
import { rowMajor, sgemm } from './gemm.ts';

const rng = new Rng(1);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
const geom = (n: number, h: number, cin: number, cout: number, k: number, s: number): ConvGeometry => {
  const p = k >> 1;
  const o = Math.floor((h + 2 * p - k) / s) + 1;
  return { n, h, w: h, cin, cout, kh: k, kw: k, sh: s, sw: s, padT: p, padL: p, padB: p, padR: p, oh: o, ow: o };
};

const pw = geom(64, 14, 16, 96, 1, 1);
const dw = geom(64, 14, 96, 96, 3, 2);
const x = rand(64 * 14 * 14 * 96);
const dyPw = rand(64 * 14 * 14 * 96);
const wPw = rand(16 * 96);
const wDw = rand(9 * 96);
const dyDw = rand(64 * 7 * 7 * 96);
const out = new Float32Array(64 * 14 * 14 * 96);
const g = new Float32Array(96).fill(1);
const b = new Float32Array(96);
const m = new Float32Array(96);
const s = new Float32Array(96);
const A = rand(256 * 256);
const B = rand(256 * 256);
const C = new Float32Array(256 * 256);

const bench = new Bench({ time: 300, warmupTime: 50 });
bench
  .add('sgemm 256x256x256', () => sgemm(256, 256, 256, rowMajor(A, 0, 256), rowMajor(B, 0, 256), C, 0, 256, false))
  .add('conv2d 1x1 16→96 @14x14 n64 fwd', () => conv2dForward(x, wPw, pw, out))
  .add('conv2d 1x1 dx', () => conv2dBackpropInput(dyPw, wPw, pw, out))
  .add('conv2d 1x1 dW', () => conv2dBackpropFilter(x, dyPw, pw, new Float32Array(16 * 96)))
  .add('depthwise 3x3 s2 96ch @14x14 n64 fwd', () => depthwiseForward(x, wDw, dw, out))
  .add('depthwise dx', () => depthwiseBackpropInput(dyDw, wDw, dw, out))
  .add('depthwise dW', () => depthwiseBackpropFilter(x, dyDw, dw, new Float32Array(9 * 96)))
  .add('bn+relu fwd 64x14x14x96', () => batchNormActForward(x, g, b, 96, 1e-5, 'relu', out, m, s))
  .add('bn+relu bwd 64x14x14x96', () => batchNormActBackward(dyPw, x, g, b, m, s, 96, 'relu', out, new Float32Array(96), new Float32Array(96)));
await bench.run();

const results = bench.tasks.map((t) => {
  const r = t.result;
  return r.state === 'completed' ? { name: t.name, medianMs: r.latency.p50, meanMs: r.latency.mean, samples: r.latency.samplesCount } : { name: t.name, state: r.state };
});
const fp = await deviceFingerprint({ id: 'js', version: () => 'fbnet-kernels js-1' });
const file = await writeDeviceResult(fp, 'common/js-kernels', { createdAt: new Date().toISOString(), results });
console.table(results);
console.log(`written ${file}`);

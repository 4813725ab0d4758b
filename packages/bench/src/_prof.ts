import * as tf from '@tensorflow/tfjs-core';
import { Net } from '@fbnet/nn';
import { resolvePlugin } from './plugins.ts';
import fs from 'node:fs';
tf.env().set('PROD', true);
const plugin = await resolvePlugin(process.argv[2] ?? 'cpu');
await plugin.init();
for (const kv of (process.argv[3] ?? '').split(',').filter(Boolean)) { const [k, v] = kv.split('='); plugin.forceVariant!(k, v); }
const arch = JSON.parse(fs.readFileSync('benchmarks/nets/fbnet-bench-28.json', 'utf8'));
const net = new Net(arch, { seed: 1 });
const x = tf.randomUniform([1, 28, 28, 1], 0, 255) as tf.Tensor4D;
for (let i = 0; i < 50; i++) { const y = net.forward(x); y.dataSync(); y.dispose(); }
const t0 = performance.now();
for (let i = 0; i < 200; i++) { const y = net.forward(x); y.dataSync(); y.dispose(); }
console.log('latency ms', ((performance.now() - t0) / 200).toFixed(3));
const agg: Record<string, [number, number]> = {};
for (let r = 0; r < 20; r++) {
  const prof = await tf.profile(() => { const y = net.forward(x); y.dataSync(); y.dispose(); });
  for (const k of prof.kernels) { const a = agg[k.name] ?? [0, 0]; a[0] += (k.kernelTimeMs as number) / 20; a[1] += 1 / 20; agg[k.name] = a; }
}
let tot = 0; for (const v of Object.values(agg)) tot += v[0];
console.log('kernel total ms', tot.toFixed(3));
console.log(Object.entries(agg).sort((a, b) => b[1][0] - a[1][0]).slice(0, 14).map(([k, v]) => `${k} ${v[0].toFixed(3)} x${v[1]}`).join('\n'));
await plugin.dispose?.();

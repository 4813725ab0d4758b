import { join } from 'node:path';
import { FbnetError } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD } from '@fbnet/data';
import { exportV2Model } from '@fbnet/dmasking';
import { Net, type ParamSnapshot } from '@fbnet/nn';
import { RunDir } from '@fbnet/runs';
import { exportModel } from '@fbnet/train';
import { initBackend } from '../backend.ts';
import { readArchDef } from '../files.ts';
import { makeOutput } from '../output.ts';
import type { ExportLine } from './export.ts';

/** Training checkpoints a run may hold, newest phase first. */
const CHECKPOINTS = ['final', 'train'];

export async function runExport({ flags: values, args }: ExportLine): Promise<number> {
  const out = makeOutput(!!values.json);
  const run = RunDir.open(args[0]);
  const name = CHECKPOINTS.find((c) => run.checkpoints().includes(c));
  if (!name) throw new FbnetError('CHECKPOINT', `${run.path} has no training checkpoint (${CHECKPOINTS.join(' or ')}); train first`);
  const ckpt = run.loadCheckpoint<{ epoch: number }>(name)!;
  const arch = readArchDef(run.file('arch.json'));
  await initBackend('cpu');
  const net = new Net(arch, { normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] } });
  try {
    const params = Object.fromEntries(Object.entries(ckpt.tensors).filter(([k]) => k.startsWith('p:')).map(([k, v]) => [k.slice(2), v]));
    net.store.restore(params as ParamSnapshot);
    const dir = values.out ?? join(run.path, 'model');
    // A V2 net searched at a lower resolution takes the 28x28 input and resizes inside.
    const exported = run.config.command === 'search v2' && arch.input_size !== 28 ? await exportV2Model(net, dir, 28) : await exportModel(net, dir);
    out.info(`exported ${run.path} (checkpoint "${name}", epoch ${ckpt.meta.epoch}) → ${exported.modelJson}`);
    out.result({ modelPath: exported.modelJson, checkpoint: name, epoch: ckpt.meta.epoch, bytes: exported.bytes });
    return 0;
  } finally {
    net.dispose();
  }
}

import { archCost } from '@fbnet/shape-propagation';
import { readArchDef } from '../files.ts';
import { formatCount, makeOutput } from '../output.ts';
import type { CostLine } from './cost.ts';

export async function runCost({ flags: values, args }: CostLine): Promise<number> {
  const out = makeOutput(!!values.json);
  const def = readArchDef(args[0]);
  const size = values['input-size'];
  const c = archCost(def, size ? { inputSize: size } : {});
  out.result({
    flops: c.flops,
    params: c.params,
    input: c.input,
    stages: c.stages.map((s) => ({ stage: s.stage, blocks: s.blocks, output: s.output, flops: s.flops, params: s.params })),
    head: { flops: c.head.flops, params: c.head.params },
  });
  if (!out.json) {
    out.info(`${args[0]}: input ${c.input.join('x')}`);
    out.info('stage  blocks  output            MFLOPs       params');
    for (const s of c.stages) {
      out.info(`${String(s.stage).padStart(5)}  ${String(s.blocks).padStart(6)}  ${s.output.join('x').padEnd(16)}  ${(s.flops / 1e6).toFixed(5).padStart(10)}  ${String(s.params).padStart(11)}`);
    }
    out.info(` head       -  ${c.head.output.join('x').padEnd(16)}  ${(c.head.flops / 1e6).toFixed(5).padStart(10)}  ${String(c.head.params).padStart(11)}`);
    out.info(`total: ${(c.flops / 1e6).toFixed(5)} MFLOPs (${c.flops} multiply-adds), ${formatCount(c.params)} params (${c.params})`);
  }
  return 0;
}

import { defineCommand } from '../command.ts';
import { flag, JSON_FLAG, parseCommandLine, type CommandLine } from '../flags.ts';

export const COST_GRAMMAR = { flags: { ...JSON_FLAG, 'input-size': flag.positiveInt() }, args: ['arch.json'] };
export type CostLine = CommandLine<typeof COST_GRAMMAR.flags>;

export const costCommand = defineCommand({
  name: 'cost',
  summary: 'FLOPs (multiply-adds) and params of an arch def, in the FBNet tables convention',
  usage: 'fbnet cost <arch.json> [--input-size N] [--json]',
  parse: (argv) => parseCommandLine(argv, COST_GRAMMAR),
  load: async () => (await import('./run-cost.ts')).runCost,
});

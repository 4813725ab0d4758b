import { ArchDefError, FbnetError } from '../errors.ts';
import type { BlockSpec } from './block-spec.ts';
import { archBlocks, type ArchDef } from './arch-def.ts';
import { OPS } from './ops.ts';

/** A block instance after repeats are expanded (repeats after the first have stride 1). */
export interface ResolvedBlock {
  /** Index in the flat list of block instances. */
  index: number;
  stage: number;
  /** Index of the block entry within its stage (as written in the arch def). */
  block: number;
  /** 0 for the first instance of a repeated entry. */
  repeat: number;
  spec: BlockSpec;
}

export interface ResolvedArch {
  def: ArchDef;
  inputSize: number;
  inputChannels: number;
  numClasses: number;
  blocks: ResolvedBlock[];
  /** Implicit classifier: global average pool, 1x1 conv (with bias) to num_classes. */
  head: { inChannels: number; numClasses: number };
}

/** Expand repeats and build every block's spec through the op registry. */
export function resolveArch(def: ArchDef): ResolvedArch {
  let channels = def.input_channels;
  const blocks: ResolvedBlock[] = [];
  for (const b of archBlocks(def)) {
    for (let r = 0; r < b.repeat; r++) {
      let spec: BlockSpec;
      try {
        spec = OPS.get(b.op).build({
          inChannels: channels,
          outChannels: b.outChannels,
          stride: r === 0 ? b.stride : 1,
          kwargs: b.kwargs,
          widthDivisor: def.basic_args.width_divisor,
        });
      } catch (e) {
        if (e instanceof FbnetError && !(e instanceof ArchDefError)) {
          throw new ArchDefError(e.message, { stage: b.stage, block: b.block });
        }
        throw e;
      }
      blocks.push({ index: blocks.length, stage: b.stage, block: b.block, repeat: r, spec });
      channels = spec.outChannels;
    }
  }
  return {
    def,
    inputSize: def.input_size,
    inputChannels: def.input_channels,
    numClasses: def.num_classes,
    blocks,
    head: { inChannels: channels, numClasses: def.num_classes },
  };
}

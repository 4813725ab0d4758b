import type { Activation } from './block-spec.ts';

/**
 * Op-name grammar (mobile-vision names, compositional like timm's block strings):
 *
 *   conv_k{1,3,5}[_hs|_relu]                     conv + BN + act (stem, head convs)
 *   ir_k{3,5}[_g2][_se|_sehsig][_hs|_relu]       inverted residual (MobileNetV2 / FBNet)
 *       _g2      grouped (2) expansion pointwise + channel shuffle
 *       _se      squeeze-excite with sigmoid gate; _sehsig with h-sigmoid gate
 *       _hs      h-swish activation (default ReLU); _relu is explicit ReLU
 *   ir_pool[_hs|_relu]                           pointwise expand + global pool + 1x1 conv (+act, no BN)
 *   skip                                         identity, or 1x1 conv + BN when shape changes
 *
 * Suffixes come in the order shown; anything else is not an op.
 */
export type OpFamily = 'conv' | 'ir' | 'ir_pool' | 'skip';

export interface ParsedOpName {
  name: string;
  family: OpFamily;
  kernel: number;
  pwGroups: number;
  se: 'none' | 'sigmoid' | 'hsigmoid';
  act: Activation;
}

const ACT_SUFFIX: Record<string, Activation> = { '': 'relu', _hs: 'hswish', _relu: 'relu' };

/** All op names the grammar produces. */
export function allOpNames(): ParsedOpName[] {
  const out: ParsedOpName[] = [];
  const acts = ['', '_relu', '_hs'];
  for (const k of [1, 3, 5]) {
    for (const a of acts) out.push({ name: `conv_k${k}${a}`, family: 'conv', kernel: k, pwGroups: 1, se: 'none', act: ACT_SUFFIX[a] });
  }
  for (const k of [3, 5]) {
    for (const g of ['', '_g2']) {
      for (const [s, se] of [['', 'none'], ['_se', 'sigmoid'], ['_sehsig', 'hsigmoid']] as const) {
        for (const a of acts) {
          out.push({ name: `ir_k${k}${g}${s}${a}`, family: 'ir', kernel: k, pwGroups: g ? 2 : 1, se, act: ACT_SUFFIX[a] });
        }
      }
    }
  }
  for (const a of acts) out.push({ name: `ir_pool${a}`, family: 'ir_pool', kernel: 1, pwGroups: 1, se: 'none', act: ACT_SUFFIX[a] });
  out.push({ name: 'skip', family: 'skip', kernel: 1, pwGroups: 1, se: 'none', act: 'none' });
  return out;
}

import { depthwiseForward } from '../math/depthwise.ts';
import { fusedConv } from './FusedConv2D.ts';

export const fusedDepthwiseConv2DJs = fusedConv('FusedDepthwiseConv2D', 'direct-js', 'direct depthwise loops, then bias + activation', depthwiseForward);

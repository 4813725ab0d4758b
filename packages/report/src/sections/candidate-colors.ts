import { categorical } from '../charts/palette.ts';

/*
 * V1 candidate ids ("k5_e6", "k3_e1_g2", "skip") coloured as the arch diagram colours ops:
 * k3 blues, k5 oranges, darker for larger expansion, skip grey, so a θ chart, the LUT and the
 * arch read alike. Ids outside that grammar get the categorical palette.
 */
const K3 = { e1: '#c6dbef', e1_g2: '#9ecae1', e3: '#4292c6', e6: '#08519c' } as Record<string, string>;
const K5 = { e1: '#fdd0a2', e1_g2: '#fdae6b', e3: '#f16913', e6: '#a63603' } as Record<string, string>;

export function candidateColors(ids: readonly string[]): string[] {
  let other = 0;
  return ids.map((id) => {
    if (id === 'skip') return '#b0b0b0';
    const m = /^k([35])_(e\d+(?:_g2)?)$/.exec(id);
    const c = m ? (m[1] === '3' ? K3 : K5)[m[2]] : undefined;
    return c ?? categorical(other++);
  });
}

import { FbnetError } from '@fbnet/core';

/** Shape of an NHWC float batch (TF.js layout). */
export interface NhwcShape {
  n: number;
  height: number;
  width: number;
  channels: number;
}

export function checkNhwc(what: string, x: ArrayLike<number>, s: NhwcShape): void {
  const want = s.n * s.height * s.width * s.channels;
  if (x.length !== want) {
    throw new FbnetError('USAGE', `${what}: shape [${s.n}, ${s.height}, ${s.width}, ${s.channels}] holds ${want} value(s), x has ${x.length}`);
  }
}

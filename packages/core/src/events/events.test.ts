import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { assertSerializable, event, ofType, type EventUnion } from './events.ts';

type M = { 'a/happened': { n: number }; 'b/happened': { s: string } };
type E = EventUnion<M>;

describe('events', () => {
  it('ofType keeps and narrows the requested types', async () => {
    const evs: E[] = [event<M, 'a/happened'>('a/happened', { n: 1 }), { type: 'b/happened', s: 'x' }, { type: 'a/happened', n: 2 }];
    const got = await lastValueFrom(from(evs).pipe(ofType('a/happened'), toArray()));
    expect(got.map((e) => e.n)).toEqual([1, 2]);
  });
  it('assertSerializable accepts plain data and refuses what JSON would lose', () => {
    expect(() => assertSerializable({ type: 'x', a: [1, { b: 'c' }] } as never)).not.toThrow();
    expect(() => assertSerializable({ type: 'x', v: NaN } as never)).toThrow(/NaN/);
    expect(() => assertSerializable({ type: 'x', f: () => 1 } as never)).toThrow(/function/);
    expect(() => assertSerializable({ type: 'x', t: new Map() } as never)).toThrow(/Map/);
    expect(() => assertSerializable({ type: 'x', t: new Float32Array(2) } as never)).toThrow(/Float32Array/);
  });
});

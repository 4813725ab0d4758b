import { config, Subject } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { follow } from './streams.ts';

describe('follow', () => {
  const unhandled: unknown[] = [];
  const previous = config.onUnhandledError;
  config.onUnhandledError = (e) => unhandled.push(e);
  afterEach(() => {
    unhandled.length = 0;
  });
  afterAll(() => {
    config.onUnhandledError = previous;
  });
  const settle = () => new Promise((r) => setTimeout(r, 5));

  it('leaves a stream error to the runner promise: nothing is rethrown', async () => {
    const s = new Subject<number>();
    const seen: number[] = [];
    follow(s, (e) => seen.push(e));
    s.next(1);
    s.error(new Error('NaN loss'));
    await settle();
    expect(seen).toEqual([1]);
    expect(unhandled).toEqual([]);
  });

  it('(what it replaces: subscribe(fn) rethrows the error from a timer, where nothing catches it)', async () => {
    const s = new Subject<number>();
    s.subscribe(() => undefined);
    s.error(new Error('NaN loss'));
    await settle();
    expect(unhandled).toHaveLength(1);
  });
});

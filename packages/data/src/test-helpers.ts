import { expect } from 'vitest';
import { FbnetError, type FbnetErrorCode } from '@fbnet/core';

/** Assert `fn` throws an FbnetError with `code` whose message matches every pattern. */
export function expectFbnetError(fn: () => unknown, code: FbnetErrorCode, ...patterns: (RegExp | string)[]): FbnetError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an FbnetError to be thrown').toBeInstanceOf(FbnetError);
  const err = caught as FbnetError;
  expect(err.code, err.message).toBe(code);
  for (const p of patterns) {
    if (typeof p === 'string') expect(err.message).toContain(p);
    else expect(err.message).toMatch(p);
  }
  return err;
}

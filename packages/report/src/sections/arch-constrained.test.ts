import { describe, expect, it } from 'vitest';
import { constrainedNote } from './arch.ts';

describe('constrainedNote (search.json "constrained" in words)', () => {
  const base = { limits: { maxParams: 20000 }, exact: true, derived: { params: 19840, flops: 1013384, latencyMs: 0.36 } };
  it('says when argmax θ broke the limits and what the derived arch costs', () => {
    const s = constrainedNote({ ...base, argmax: { ops: [6, 8], params: 68920, flops: 1912712, latencyMs: 0.3966, meetsLimits: false } })!;
    expect(s).toContain('Derived under maxParams 20000');
    expect(s).toContain('argmax θ (68920 params, 1.913 MFLOPs');
    expect(s).toContain('does not meet them');
    expect(s).toContain('(19840 params, 1.013 MFLOPs');
    expect(s).not.toContain('cut short');
  });
  it('says when argmax θ already met them, and when the search was not exact; nothing for absent or malformed input', () => {
    expect(constrainedNote({ ...base, argmax: { params: 1, flops: 1, latencyMs: 1, meetsLimits: true } })).toContain('argmax θ meets them');
    expect(constrainedNote({ ...base, exact: false, argmax: { params: 1, flops: 1, latencyMs: 1, meetsLimits: false } })).toContain('cut short');
    expect(constrainedNote(undefined)).toBeUndefined();
    expect(constrainedNote({ limits: { maxParams: 1 } })).toBeUndefined();
  });
});

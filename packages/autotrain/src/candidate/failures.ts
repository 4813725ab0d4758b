import { FbnetError, type FbnetErrorCode } from '@fbnet/core';
import type { CandidateEvent } from './job.ts';

/** Why one candidate failed for good (from its `queue/job-failed` event). */
export interface CandidateFailure {
  jobId: string;
  error: string;
  /** The FbnetError code, where the queue kept it (in process it does; across Redis only the message travels). */
  code?: string;
}

const CODES = new Set<string>([
  'ARCH_DEF_INVALID', 'SEARCH_SPACE_INVALID', 'REGISTRY_DUPLICATE', 'REGISTRY_UNKNOWN', 'FILE_INVALID', 'DATA_CORRUPT',
  'DEVICE_MISMATCH', 'BACKEND_UNAVAILABLE', 'NUMERIC', 'CHECKPOINT', 'USAGE', 'QUEUE_UNREACHABLE',
] satisfies FbnetErrorCode[]);

/** Collects the failures a queue reports, by job id. */
export class FailureLog {
  private readonly byId = new Map<string, CandidateFailure>();

  record(e: CandidateEvent): void {
    if (e.type === 'queue/job-failed') this.byId.set(e.jobId, { jobId: e.jobId, error: e.error, ...(e.code ? { code: e.code } : {}) });
    else if (e.type === 'queue/job-completed') this.byId.delete(e.jobId);
  }

  of(ids: readonly string[]): CandidateFailure[] {
    return ids.flatMap((id) => this.byId.get(id) ?? []);
  }
}

/** "error (3×); other error (1×)": distinct messages, most frequent first. */
export function summarizeFailures(failures: readonly CandidateFailure[], max = 3): string {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f.error, (counts.get(f.error) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, max).map(([e, n]) => `${e} (${n}×)`);
  if (sorted.length > max) shown.push(`${sorted.length - max} other error(s)`);
  return shown.join('; ');
}

/**
 * The run's error when candidates failed: a failure every candidate shares is a property of
 * the run (corrupt data, a bad data dir, a broken backend), not of the candidates, so it is
 * reported as itself, with its own code, rather than as what it later starves ("the
 * early-stopping rule needs 3 candidates, got 0").
 */
export function candidatesFailedError(failures: readonly CandidateFailure[], total: number, context: string): FbnetError {
  const distinct = new Set(failures.map((f) => f.error));
  const codes = new Set(failures.map((f) => f.code));
  const code = (codes.size === 1 && [...codes][0] && CODES.has([...codes][0]!) ? [...codes][0] : 'USAGE') as FbnetErrorCode;
  if (distinct.size === 1 && failures.length === total) {
    return new FbnetError(code, `${failures[0].error} (every one of the ${total} candidate(s) ${context} failed with this error)`);
  }
  return new FbnetError(code, `${failures.length} of the ${total} candidate(s) ${context} failed: ${summarizeFailures(failures)}`);
}

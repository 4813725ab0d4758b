import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { CandidateResult } from '../candidate/job.ts';

/**
 * Results keyed by job id, first write wins: a retried or duplicated job can never count
 * twice, and a result once stored is never lost or replaced.
 */
export interface ResultStore {
  get(id: string): CandidateResult | undefined;
  /** Store unless present; returns the stored result and whether this call stored it. */
  put(result: CandidateResult): { result: CandidateResult; stored: boolean };
}

export class MemoryResultStore implements ResultStore {
  protected readonly map = new Map<string, CandidateResult>();
  get(id: string): CandidateResult | undefined {
    return this.map.get(id);
  }
  put(result: CandidateResult): { result: CandidateResult; stored: boolean } {
    const prev = this.map.get(result.id);
    if (prev) return { result: prev, stored: false };
    this.map.set(result.id, result);
    return { result, stored: true };
  }
  get size(): number {
    return this.map.size;
  }
  all(): CandidateResult[] {
    return [...this.map.values()];
  }
}

/**
 * A result store backed by an append-only JSON-lines file (one result per line), e.g.
 * `candidates.jsonl` in a run directory: a resumed search finds every finished candidate.
 * A torn last line (killed mid-append) is ignored; duplicates in the file keep the first.
 */
export class FileResultStore extends MemoryResultStore {
  constructor(readonly path: string) {
    super();
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const r = JSON.parse(line) as CandidateResult;
          if (r && typeof r.id === 'string' && !this.map.has(r.id)) this.map.set(r.id, r);
        } catch {
          // a torn last line: the job simply runs again
        }
      }
    }
  }
  override put(result: CandidateResult): { result: CandidateResult; stored: boolean } {
    const r = super.put(result);
    if (r.stored) appendFileSync(this.path, JSON.stringify(result) + '\n');
    return r;
  }
}

import { Observable } from 'rxjs';
import { FbnetError } from '@fbnet/core';
import type { CandidateEvent, CandidateJob, EvaluationQueue } from '../candidate/job.ts';
import { trainCandidate } from '../candidate/train-candidate.ts';
import { MemoryResultStore, type ResultStore } from './result-store.ts';

export interface InProcessQueueOptions {
  /** Where results go (default: in memory); jobs already in it are not trained again. */
  store?: ResultStore;
}

/**
 * The default queue: trains jobs one after another in this process, on the active backend.
 * Unsubscribing stops the job being trained at its next step.
 */
export class InProcessQueue implements EvaluationQueue {
  readonly kind = 'in-process';
  readonly store: ResultStore;

  constructor(o: InProcessQueueOptions = {}) {
    this.store = o.store ?? new MemoryResultStore();
  }

  submit(jobs: CandidateJob[]): Observable<CandidateEvent> {
    return new Observable<CandidateEvent>((sub) => {
      let stopped = false;
      const run = async () => {
        for (const job of jobs) sub.next({ type: 'queue/job-submitted', jobId: job.id });
        const done = new Set<string>();
        for (const job of jobs) {
          if (stopped) return;
          if (done.has(job.id)) continue;
          done.add(job.id);
          const have = this.store.get(job.id);
          if (have) {
            sub.next({ type: 'queue/job-completed', jobId: job.id, result: have, cached: true });
            continue;
          }
          sub.next({ type: 'queue/job-started', jobId: job.id, worker: 'in-process', attempt: 1 });
          const r = await trainCandidate(job, {
            cancelled: () => stopped,
            onEpoch: (epoch, valAccuracy) => !stopped && sub.next({ type: 'queue/job-progress', jobId: job.id, epoch, valAccuracy }),
          }).catch((e: Error) => {
            const code = e instanceof FbnetError ? { code: e.code } : {};
            if (!stopped) sub.next({ type: 'queue/job-failed', jobId: job.id, error: e.message, attempts: 1, ...code });
            return undefined;
          });
          if (stopped || !r) continue;
          const { result } = this.store.put(r);
          sub.next({ type: 'queue/job-completed', jobId: job.id, result, cached: false });
        }
        sub.complete();
      };
      run().catch((e) => sub.error(e));
      return () => {
        stopped = true;
      };
    });
  }
}

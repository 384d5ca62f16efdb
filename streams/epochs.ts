import { defer, from, scheduled, throwError, type Observable, type SchedulerLike } from 'rxjs';
import * as E from 'fp-ts/lib/Either.js';
import { epochBatches, epochPlan, type EpochPlanOptions } from '../src/data/epochOrder.js';
import type { ImageSet, RecordBatch } from '../src/data/records.js';

export interface EpochsOptions extends EpochPlanOptions {
  /** First step to emit (resume): batch `startStep` is exactly the one an uninterrupted run saw. */
  readonly startStep?: number;
  /** Total steps of the run counted from 0 (exclusive end); undefined = endless. */
  readonly maxSteps?: number;
  /**
   * Optional scheduler: emit each batch in its own scheduled task (e.g. asyncScheduler) so the
   * event loop (timers, signals, progress output) runs between steps. Default: synchronous.
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * The training batch source: an endless (or maxSteps-bounded) sequence of epochs, epoch e in the
 * order permutation(n, seed, e), batch s = positions s·B … (s+1)·B−1 of the concatenated orders
 * (batches straddle epoch boundaries; nothing is dropped). Batch s is a pure function of
 * (set, batchSize, seed, s, transform), so resuming at startStep = k is exact and does no work for
 * the skipped batches. See src/data/epochOrder.ts.
 *
 * Lazy: batches come from a generator, built one at a time as they are emitted; emission stops as
 * soon as the subscriber unsubscribes (take, takeWhile, …). RxJS has no backpressure: a consumer
 * that does its per-step work synchronously (map/scan with a tf step) sees one batch built per
 * step. An ASYNC per-step consumer (concatMap to a promise) would let a synchronous source run
 * ahead and buffer batches inside concatMap — bound such runs with maxSteps/take, or pull the
 * batches yourself with epochBatches()/epochBatchAt().
 */
export const epochs = (set: ImageSet, options: EpochsOptions): Observable<RecordBatch> =>
  defer(() => {
    const plan = epochPlan(set, options);
    if (E.isLeft(plan)) return throwError(() => plan.left);
    const it = epochBatches(plan.right, options.startStep ?? 0, options.maxSteps ?? Infinity);
    return options.scheduler ? scheduled(it, options.scheduler) : from(it);
  });

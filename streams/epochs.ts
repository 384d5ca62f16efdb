import {
  defer,
  from,
  map,
  observeOn,
  scheduled,
  startWith,
  take,
  takeWhile,
  throwError,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
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
  /**
   * Pull mode (backpressure for ASYNC consumers): the first batch is emitted on subscription and
   * each value of `demand` releases exactly one more. Feed it from the consumer's output, e.g.
   *   const ready = new Subject<void>();
   *   epochs(set, { …, demand: ready }).pipe(train(state), tap(() => ready.next()))
   * so at most one batch waits inside mergeScan/concatMap, however slow the step is. The source
   * completes right after batch maxSteps − 1, or when `demand` completes.
   */
  readonly demand?: Observable<unknown>;
}

/**
 * The training batch source. Emits batches startStep, startStep + 1, … ; completes right after batch
 * maxSteps − 1 (never, without maxSteps; at once if startStep ≥ maxSteps). Errors on subscription,
 * emitting nothing, when the plan is invalid (an empty set, a bad batch size, seed or step). Cold: each
 * subscription starts its own plan. Unsubscribing stops the generator: no further batch is built.
 *
 * An endless (or maxSteps-bounded) sequence of epochs, epoch e in the
 * order permutation(n, seed, e), batch s = positions s·B … (s+1)·B−1 of the concatenated orders
 * (batches straddle epoch boundaries; nothing is dropped). Batch s is a pure function of
 * (set, batchSize, seed, s, transform), so resuming at startStep = k is exact and does no work for
 * the skipped batches. See src/data/epochOrder.ts.
 *
 * Lazy: batches come from a generator, built one at a time as they are emitted; emission stops as
 * soon as the subscriber unsubscribes (take, takeWhile, …). RxJS has no backpressure of its own:
 * - a SYNCHRONOUS per-step consumer (map/scan with a tf step) sees one batch built per step;
 * - an ASYNC per-step consumer (mergeScan/concatMap to a promise or a worker) lets a push source
 *   run ahead: measured, 154 of 200 batches were buffered inside mergeScan with asyncScheduler and
 *   a 5 ms async step. Use `demand` (pull mode) for such consumers.
 */
export const epochs = (set: ImageSet, options: EpochsOptions): Observable<RecordBatch> =>
  defer(() => {
    const plan = epochPlan(set, options);
    if (E.isLeft(plan)) return throwError(() => plan.left);
    const it = epochBatches(plan.right, options.startStep ?? 0, options.maxSteps ?? Infinity);
    if (options.demand) {
      const pulled = options.demand.pipe(
        startWith(undefined),
        map(() => it.next()),
        takeWhile((r): r is IteratorYieldResult<RecordBatch> => !r.done),
        map((r) => r.value),
        // complete right after the last batch, without waiting for one more demand
        take(Math.max(0, (options.maxSteps ?? Infinity) - (options.startStep ?? 0))),
      );
      return options.scheduler ? pulled.pipe(observeOn(options.scheduler)) : pulled;
    }
    return options.scheduler ? scheduled(it, options.scheduler) : from(it);
  });

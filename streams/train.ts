// The training operator: batches in, one event per step out. State (parameters, optimizer slots,
// step) is threaded through mergeScan — scan for an asynchronous step — so the same operator runs
// with gradients computed in this process or on worker threads (a GradientEngine option).
//
// Ownership: the operator owns the state's tensors. Each event's `state` is valid until the next
// batch is processed (read it synchronously, e.g. to checkpoint). When the stream completes, the
// last state belongs to the subscriber; on error or unsubscribe the operator disposes it.

import { defer, finalize, from, map, mergeScan, tap, type Observable, type OperatorFunction } from 'rxjs';
import type { RecordBatch } from '../src/data/records.js';
import type { BaseSpec } from '../src/model.js';
import { localEngine, type GradientEngine } from '../src/train/engine.js';
import { defaultConvImpl } from '../src/layers/maskedConv.js';
import { applyStep, disposeAll, type NonFinitePolicy, type StepMetrics, type TrainState } from '../src/train/step.js';

export interface TrainOptions<S extends BaseSpec = BaseSpec> {
  /** Where gradients are computed; default: in this process with the backend's conv. */
  readonly engine?: GradientEngine;
  /** What a non-finite loss or gradient does: stop with NonFiniteError (default) or skip the batch. */
  readonly onNonFinite?: NonFinitePolicy;
  /**
   * Called with the state before each step; what it returns is trained on (same tensors: it may
   * change the optimizer's settings, e.g. fix a learning-rate schedule's length from measured step
   * times, but not replace parameters or slots). Default: the state unchanged.
   */
  readonly beforeStep?: (state: TrainState<S>) => TrainState<S>;
}

export interface TrainEvent<S extends BaseSpec = BaseSpec> {
  readonly metrics: StepMetrics;
  readonly state: TrainState<S>;
  readonly skipped: boolean;
  /** Batches skipped for non-finite values so far. */
  readonly skippedTotal: number;
  readonly stepMs: number;
}

/** The same error with its message prefixed (the stack kept). */
const prefixed = (e: unknown, prefix: string): Error => {
  const error = e instanceof Error ? e : new Error(String(e));
  error.message = prefix + error.message;
  return error;
};

interface Acc<S extends BaseSpec> {
  readonly state: TrainState<S>;
  readonly event: TrainEvent<S> | null;
}

/**
 * Emits one TrainEvent per batch, after that batch's step (one step at a time, in order); completes
 * after the last batch's event once the source completes (an empty source completes empty, and
 * `initial` stays the caller's). Errors: a failing step (the message prefixed with "step N: "), a
 * NonFiniteError under `onNonFinite: 'stop'`, a source error; the operator then disposes the state.
 * Unsubscribing unsubscribes from the source and disposes the state once a step in flight ends.
 */
export const train =
  <S extends BaseSpec>(initial: TrainState<S>, options: TrainOptions<S> = {}): OperatorFunction<RecordBatch, TrainEvent<S>> =>
  (batches: Observable<RecordBatch>) =>
    defer(() => {
      const engine = options.engine ?? localEngine({ convImpl: defaultConvImpl() });
      let live: TrainState<S> = initial;
      let completed = false;
      let skippedTotal = 0;
      let inFlight: Promise<unknown> | null = null;
      const step = async (acc: Acc<S>, batch: RecordBatch): Promise<Acc<S>> => {
        const started = performance.now();
        const before = options.beforeStep ? options.beforeStep(acc.state) : acc.state;
        live = before;
        const { loss, grads } = await engine.compute(before.spec, before.params, batch).catch((e: unknown) => {
          throw prefixed(e, `step ${before.step + 1}: `);
        });
        const result = applyStep(before, loss, grads, batch.records.length, options.onNonFinite ?? 'stop');
        live = result.state;
        if (result.skipped) skippedTotal++;
        const event = { metrics: result.metrics, state: result.state, skipped: result.skipped, skippedTotal, stepMs: performance.now() - started };
        return { state: result.state, event };
      };
      return batches.pipe(
        mergeScan(
          (acc: Acc<S>, batch: RecordBatch) => {
            const running = step(acc, batch);
            const settled = (): void => void (inFlight = null);
            inFlight = running.then(settled, settled);
            return from(running);
          },
          { state: initial, event: null },
          1,
        ),
        map((acc) => acc.event!),
        tap({ complete: () => (completed = true) }),
        finalize(() => {
          if (!options.engine) void engine.close();
          // A step still running (the source failed or we were unsubscribed mid-step) owns the
          // state until it ends; release whatever state exists once it has.
          const release = () => {
            if (!completed) disposeAll(live.params, live.slots);
          };
          if (inFlight) inFlight.then(release, release);
          else release();
        }),
      );
    });

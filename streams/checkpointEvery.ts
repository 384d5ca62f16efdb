// Save a checkpoint (atomically; see src/checkpoint) every N steps and whenever an event is marked
// final, keeping the newest `keep`. Runs synchronously inside the step's event, while the state is
// valid.

import * as E from 'fp-ts/lib/Either.js';
import { map, type OperatorFunction } from 'rxjs';
import { saveCheckpoint, toCheckpoint } from '../src/checkpoint/checkpoint.js';
import type { TrainEvent } from './train.js';

export interface CheckpointOptions<T, R> {
  readonly runDir: string;
  readonly every: number; // 0 = only final events
  readonly keep: number;
  /** JSON describing the run (config, seeds, data), stored in every checkpoint for exact resume. */
  readonly run: R;
  /** Whether this event ends the run (a checkpoint is then always written). */
  readonly isFinal: (e: T) => boolean;
}

/**
 * Emits every training event as it arrives: unchanged when no checkpoint is due, otherwise a copy
 * with `checkpoint` set to the folder written for it (at steps divisible by `every`, and at events
 * `isFinal` accepts). Completes when the source completes (an empty source writes nothing). Errors:
 * a failed write (a non-finite state, an unwritable folder) ends the stream with that error — the
 * event is not emitted and the previous checkpoints stay intact; source errors pass through.
 * Unsubscribing unsubscribes from the source; a write is synchronous, so none is ever left half done.
 */
export const checkpointEvery =
  <T extends TrainEvent, R>(options: CheckpointOptions<T, R>): OperatorFunction<T, T & { checkpoint?: string }> =>
  (events) =>
    events.pipe(
      map((e) => {
        const due = (options.every > 0 && e.metrics.step % options.every === 0) || options.isFinal(e);
        if (!due) return e;
        const saved = saveCheckpoint(options.runDir, toCheckpoint(e.state, options.run), { keep: options.keep });
        if (E.isLeft(saved)) throw saved.left;
        return { ...e, checkpoint: saved.right };
      }),
    );

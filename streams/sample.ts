// The sampling source: a cold Observable of typed events — each value as it is sampled (image, row,
// column, channel, value, probability), each finished row, each finished image — for a batch of
// images sampled together, pixel by pixel in raster order, channel by channel (R, G, B).
// A family may sample in its own order (ModelFamily.order): a Multi-Scale model's small positions
// (every factor-th pixel of every factor-th row) come first, then the other values in raster order;
// row and image events still mean that the row / image is finished.
//
// Work runs in slices of about `sliceMs` on the scheduler (a macrotask each with the default
// asyncScheduler), so the event loop stays responsive and unsubscribing stops the work at once:
// no further position is computed and the sampler's tensors and buffers are freed.
// Completes right after the last image's event. Errors: invalid options (on subscription, before
// any event), or a failure of the sampler while it runs.
//
// Memory: events are produced synchronously, one position (B values) at a time, and `next` returns
// before the next position is computed — a slow *synchronous* consumer slows sampling down and
// nothing queues. An *asynchronous* consumer (e.g. concatMap to a file) buffers in its own operator;
// to bound that, pull instead: `sampleAsync` (an AsyncIterable that computes only when asked) or the
// synchronous generator `samplingSteps` in src/sampling/session.ts.

import * as E from 'fp-ts/lib/Either.js';
import { asyncScheduler, filter, lastValueFrom, map, Observable, toArray, type SchedulerLike } from 'rxjs';
import type { AutoregressiveModel } from '../src/model.js';
import { resolveSampleOptions } from '../src/sampling/options.js';
import { samplingSteps } from '../src/sampling/session.js';
import type { ImageEvent, SampleEvent, SampleOptions, SamplerFactory, SamplingOrder } from '../src/sampling/types.js';

export type { SampleEvent, SampleOptions } from '../src/sampling/types.js';

export interface StreamSampleOptions extends SampleOptions {
  /** Longest run of work between two scheduler turns, in ms (default 10; at least one position). */
  readonly sliceMs?: number;
  readonly scheduler?: SchedulerLike;
  /** Override the incremental sampler (default: the family's cached one if `cached`, else the naive
   * rerun); it is run in the family's sampling order. */
  readonly sampler?: SamplerFactory;
  /** Override the order values are drawn in (default: the family's); for negative controls. */
  readonly order?: SamplingOrder;
}

export const sample = (model: AutoregressiveModel, options: StreamSampleOptions = {}): Observable<SampleEvent> =>
  new Observable<SampleEvent>((subscriber) => {
    const resolved = resolveSampleOptions(model.spec, options);
    if (E.isLeft(resolved)) {
      subscriber.error(resolved.left);
      return;
    }
    const steps = samplingSteps(model, resolved.right, options.sampler, options.order); // lazy: nothing runs until pulled
    const sliceMs = options.sliceMs ?? 10;
    const action = (options.scheduler ?? asyncScheduler).schedule(function () {
      const until = performance.now() + sliceMs;
      try {
        do {
          const step = steps.next();
          if (step.done) return subscriber.complete();
          for (const event of step.value) {
            subscriber.next(event);
            if (subscriber.closed) return;
          }
        } while (performance.now() < until);
      } catch (err) {
        return subscriber.error(err);
      }
      this.schedule();
    });
    return () => {
      action.unsubscribe();
      steps.return(); // runs the generator's finally: disposes the sampler
    };
  });

/** Image completion: keep rows < keepRows of each image, sample the rest conditioned on them. */
export const completeImages = (
  model: AutoregressiveModel,
  images: readonly Uint8Array[],
  keepRows: number,
  options: Omit<StreamSampleOptions, 'known' | 'keepRows'> = {},
): Observable<SampleEvent> => sample(model, { count: images.length, ...options, known: images, keepRows });

/** Just the finished images, in order. */
export const sampleImages = (model: AutoregressiveModel, options: StreamSampleOptions = {}): Promise<Uint8Array[]> =>
  lastValueFrom(
    sample(model, options).pipe(
      filter((e): e is ImageEvent => e.kind === 'image'),
      map((e) => e.pixels),
      toArray(),
    ),
  );

/**
 * Pull-based events: a position is computed only when the consumer asks for its events, so memory
 * stays flat whatever the consumer's pace; yields to the event loop every `sliceMs`.
 */
export async function* sampleAsync(
  model: AutoregressiveModel,
  options: StreamSampleOptions = {},
): AsyncGenerator<SampleEvent, void, undefined> {
  const resolved = resolveSampleOptions(model.spec, options);
  if (E.isLeft(resolved)) throw resolved.left;
  const sliceMs = options.sliceMs ?? 10;
  let until = performance.now() + sliceMs;
  for (const events of samplingSteps(model, resolved.right, options.sampler, options.order)) {
    yield* events;
    if (performance.now() >= until) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      until = performance.now() + sliceMs;
    }
  }
}

// Sampling pipeline: the sample stream (streams/sample.ts) collected into finished images, with an
// optional live view, written as one PNG grid (atomically).

import * as E from 'fp-ts/lib/Either.js';
import { filter, lastValueFrom, map, takeWhile, tap, toArray, type Observable } from 'rxjs';
import { encodePngGrid } from '../src/data/png.js';
import { writeFileAtomic } from '../src/fsAtomic.js';
import type { AutoregressiveModel } from '../src/model.js';
import type { ImageEvent, SampleEvent, SampleOptions } from '../src/sampling/types.js';
import { sample } from '../streams/sample.js';

export interface SampledImages {
  readonly images: Uint8Array[];
  readonly seconds: number;
  readonly sampler: string;
}

/** Run the sample stream to the end; `onEvent` sees every event (live view, progress). */
export const collectSamples = async (
  model: AutoregressiveModel,
  options: SampleOptions,
  onEvent?: (e: SampleEvent) => void,
  stop?: { readonly requested: boolean },
): Promise<SampledImages> => {
  const started = performance.now();
  const events: Observable<SampleEvent> = sample(model, options);
  // The sample stream works in slices on the async scheduler, so a signal handler runs between
  // them; once `stop` is set the stream is unsubscribed (its sampler freed) and the images finished
  // so far are returned.
  const images = await lastValueFrom(
    events.pipe(
      takeWhile(() => !stop?.requested),
      tap((e) => onEvent?.(e)),
      filter((e): e is ImageEvent => e.kind === 'image'),
      map((e) => e.pixels),
      toArray(),
    ),
  );
  return { images, seconds: (performance.now() - started) / 1000, sampler: options.cached === false ? 'naive' : 'cached where available' };
};

/** Write images (H, W, C levels each) as a PNG grid, scaled up for small images. */
export const writeGrid = (
  file: string,
  images: readonly Uint8Array[],
  spec: AutoregressiveModel['spec'],
  columns?: number,
): E.Either<Error, string> =>
  writeFileAtomic(
    file,
    encodePngGrid(images, spec, { levels: spec.levels, scale: spec.height <= 32 ? 4 : 2, ...(columns ? { columns } : {}) }),
  );

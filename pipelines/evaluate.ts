// Evaluation pipeline: a whole image set through the model, to mean NLL (nats) and bits/dim.

import { asyncScheduler, defaultIfEmpty, lastValueFrom, observeOn, takeWhile, type Observable } from 'rxjs';
import type { ImageSet } from '../src/data/records.js';
import type { AutoregressiveModel } from '../src/model.js';
import { batch } from '../streams/batch.js';
import { evaluate, type EvalProgress } from '../streams/evaluate.js';
import { fromImageSet } from '../streams/fromImageSet.js';
import { progress } from '../streams/progress.js';

export const evaluationStream = (model: AutoregressiveModel, set: ImageSet, batchSize: number): Observable<EvalProgress> =>
  fromImageSet(set).pipe(batch(batchSize, set.shape), evaluate(model));

/**
 * The figure over the whole set; with `stop`, read between batches (each on its own macrotask, so
 * a signal handler gets a turn), the figure so far once it is set — `images` says how many.
 */
export const evaluateSet = (
  model: AutoregressiveModel,
  set: ImageSet,
  options: { batchSize: number; showProgress?: boolean; stop?: { readonly requested: boolean } },
): Promise<EvalProgress> =>
  lastValueFrom(
    fromImageSet(set).pipe(
      batch(options.batchSize, set.shape),
      observeOn(asyncScheduler),
      takeWhile(() => !options.stop?.requested),
      evaluate(model),
      progress({
        total: set.records.length,
        label: 'eval ',
        position: (p) => p.images,
        figures: (p) => ({ nll: `${p.meanNll.toFixed(2)} nats`, 'bits/dim': p.bitsPerDim.toFixed(4) }),
        enabled: options.showProgress ?? false,
      }),
      defaultIfEmpty({ images: 0, meanNll: NaN, bitsPerDim: NaN }),
    ),
  );

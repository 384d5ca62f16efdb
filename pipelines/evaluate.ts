// Evaluation pipeline: a whole image set through the model, to mean NLL (nats) and bits/dim.

import { lastValueFrom, defaultIfEmpty, type Observable } from 'rxjs';
import type { ImageSet } from '../src/data/records.js';
import type { AutoregressiveModel } from '../src/model.js';
import { batch } from '../streams/batch.js';
import { evaluate, type EvalProgress } from '../streams/evaluate.js';
import { fromImageSet } from '../streams/fromImageSet.js';
import { progress } from '../streams/progress.js';

export const evaluationStream = (model: AutoregressiveModel, set: ImageSet, batchSize: number): Observable<EvalProgress> =>
  fromImageSet(set).pipe(batch(batchSize, set.shape), evaluate(model));

export const evaluateSet = (
  model: AutoregressiveModel,
  set: ImageSet,
  options: { batchSize: number; showProgress?: boolean },
): Promise<EvalProgress> =>
  lastValueFrom(
    evaluationStream(model, set, options.batchSize).pipe(
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

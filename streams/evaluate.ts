// The evaluation operator: batches in, a running total out — mean NLL (nats per image) and bits per
// dimension over everything seen so far. The last emission is the figure for the whole split
// (pipe `last()` for just that).
//
// Emits once per batch, synchronously as it arrives; completes when the batches do (none for an
// empty source); errors when the source does or a batch does not fit the model. Unsubscribing
// unsubscribes from the source: no further batch is evaluated.

import { map, scan, type OperatorFunction } from 'rxjs';
import type { RecordBatch } from '../src/data/records.js';
import { recordsToTensor } from '../src/data/toTensor.js';
import { bitsPerDim, nllPerImage } from '../src/likelihood.js';
import type { AutoregressiveModel } from '../src/model.js';
import { tf } from '../src/tf.js';

export interface EvalProgress {
  readonly images: number;
  readonly meanNll: number; // nats per image
  readonly bitsPerDim: number;
}

/** Summed NLL (nats) of one batch under the model. */
export const batchNll = (model: AutoregressiveModel, batch: RecordBatch): number => {
  const total = tf.tidy(() => {
    const x = recordsToTensor(batch.shape, batch.records); // [B, H, W, C]
    return tf.sum(nllPerImage(model.logits(x), x)); //        []
  });
  const value = total.dataSync()[0]!;
  total.dispose();
  return value;
};

export const evaluate =
  (model: AutoregressiveModel): OperatorFunction<RecordBatch, EvalProgress> =>
  (batches) =>
    batches.pipe(
      scan(
        (acc, batch) => ({ images: acc.images + batch.records.length, nll: acc.nll + batchNll(model, batch) }),
        { images: 0, nll: 0 },
      ),
      map(({ images, nll }) => ({ images, meanNll: nll / images, bitsPerDim: bitsPerDim(nll / images, model.spec) })),
    );

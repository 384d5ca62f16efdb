// The evaluation operator: batches of records in, a running total out.
//
// Emits, for every batch, the mean NLL (nats per image, −log p(x) under the model's likelihood) and
// bits per dimension over everything seen so far; the last emission is the figure for the whole split
// (pipe `last()` for just that). Completes when the source completes (emitting nothing for an empty
// source) and errors when it errors or a batch does not fit the model. Each batch is computed
// synchronously inside `next`, its tensors freed before the emission; unsubscribing stops before the
// next batch.

import { map, scan, type OperatorFunction } from 'rxjs';
import type { RecordBatch } from '../src/data/records.js';
import { labelsTensor, recordLabels } from '../src/conditioning.js';
import { recordsToTensor } from '../src/data/toTensor.js';
import { bitsPerDim } from '../src/likelihoods/index.js';
import { nllOf, type AutoregressiveModel } from '../src/model.js';
import { tf } from '../src/tf.js';

export interface EvalProgress {
  readonly images: number;
  readonly meanNll: number; // nats per image
  readonly bitsPerDim: number;
}

/** Summed NLL (nats) of one batch under the model. */
export const batchNll = (model: AutoregressiveModel, batch: RecordBatch): number => {
  const given = recordLabels(model.spec, batch.records); //  the classes, for a class-conditional model
  const total = tf.tidy(() => {
    const x = recordsToTensor(batch.shape, batch.records); // [B, H, W, C]
    return tf.sum(nllOf(model, x, given ? labelsTensor(given) : undefined)); // []  −log p(x | label)
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

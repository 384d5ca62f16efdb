import { map, type OperatorFunction } from 'rxjs';
import { recordsToTensor } from '../src/data/toTensor.js';
import type { RecordBatch } from '../src/data/records.js';
import type { Tensor4D } from '../src/tf.js';

export interface TensorBatch {
  readonly batch: RecordBatch;
  /** [B, H, W, C] float32 levels 0..K-1. Owned by the consumer: dispose it when done. */
  readonly x: Tensor4D;
}

/**
 * RecordBatch → { batch, x } with x = recordsToTensor(shape, records).
 * The CONSUMER owns x and must dispose it (e.g. after its training step); values never consumed
 * (because of unsubscription) are never built, since the tensor is made when the batch arrives.
 */
export const toTensor = (): OperatorFunction<RecordBatch, TensorBatch> =>
  map((batch) => ({ batch, x: recordsToTensor(batch.shape, batch.records) }));

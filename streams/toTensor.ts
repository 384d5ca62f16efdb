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
 * RecordBatch → { batch, x } with x = recordsToTensor(shape, records): emits one per batch, as it
 * arrives; completes and errors when the source does (an empty source completes empty). The
 * CONSUMER owns x and must dispose it (e.g. after its training step). Unsubscribing unsubscribes
 * from the source; batches that never arrive are never built, since the tensor is made on arrival.
 */
export const toTensor = (): OperatorFunction<RecordBatch, TensorBatch> =>
  map((batch) => ({ batch, x: recordsToTensor(batch.shape, batch.records) }));

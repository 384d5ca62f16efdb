import { bufferCount, filter, map, throwError, type OperatorFunction } from 'rxjs';
import type { ImageShape } from '../src/model.js';
import type { ImageRecord, RecordBatch } from '../src/data/records.js';

export interface BatchOptions {
  /** Drop a last batch with fewer than `size` records (default false: emit it). */
  readonly dropRemainder?: boolean;
}

/**
 * Group records into RecordBatches of `size`, numbered 0, 1, 2, … (`index`) per subscription.
 *
 * Emits a batch each time `size` records have arrived; when the source completes, the shorter last
 * batch (unless `dropRemainder`), then completes — an empty source completes without a batch.
 * Errors: a record whose pixel count does not match `shape` (naming the record), a source error
 * (passed through; a partial batch is dropped), a `size` that is not an integer ≥ 1 (on subscribe).
 * Unsubscribing unsubscribes from the source and drops a partial batch.
 */
export const batch = (size: number, shape: ImageShape, options: BatchOptions = {}): OperatorFunction<ImageRecord, RecordBatch> => {
  if (!(Number.isSafeInteger(size) && size >= 1))
    return () => throwError(() => new Error(`batch size: expected an integer ≥ 1, found ${size}`));
  const expected = shape.height * shape.width * shape.channels;
  return (source) =>
    source.pipe(
      map((r) => {
        if (r.pixels.length !== expected)
          throw new Error(
            `record ${r.index}: expected ${expected} values (${shape.height}×${shape.width}×${shape.channels}), found ${r.pixels.length}`,
          );
        return r;
      }),
      bufferCount(size),
      filter((records) => records.length === size || !options.dropRemainder),
      map((records, index): RecordBatch => ({ shape, records, index })),
    );
};

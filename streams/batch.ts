import { bufferCount, filter, map, throwError, type OperatorFunction } from 'rxjs';
import type { ImageShape } from '../src/model.js';
import type { ImageRecord, RecordBatch } from '../src/data/records.js';

export interface BatchOptions {
  /** Drop a last batch with fewer than `size` records (default false: emit it). */
  readonly dropRemainder?: boolean;
}

/**
 * Group records into RecordBatches of `size`, numbered 0, 1, 2, … (`index`). A record whose pixel
 * count does not match `shape` errors the stream, naming the record.
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

import type { ImageShape } from '../model.js';
import { tf, type Tensor4D } from '../tf.js';
import type { ImageRecord } from './records.js';

/** Records → [B, H, W, C] float32 levels (0..K-1). */
export const recordsToTensor = (shape: ImageShape, records: readonly ImageRecord[]): Tensor4D => {
  const size = shape.height * shape.width * shape.channels;
  const values = new Float32Array(records.length * size);
  records.forEach((r, i) => {
    if (r.pixels.length !== size)
      throw new Error(`record ${r.index}: expected ${size} values (${shape.height}×${shape.width}×${shape.channels}), found ${r.pixels.length}`);
    values.set(r.pixels, i * size);
  });
  return tf.tensor4d(values, [records.length, shape.height, shape.width, shape.channels]);
};

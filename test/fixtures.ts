// Small deterministic inputs shared by specs: random images and batches of a given shape.
import type { ImageRecord, RecordBatch } from '../src/data/records.js';
import type { ImageShape } from '../src/model.js';
import { Rng } from '../src/rng.js';

export const randomRecords = (shape: ImageShape, count: number, seed = 1): ImageRecord[] => {
  const rng = Rng.fromSeed(seed, 99);
  const size = shape.height * shape.width * shape.channels;
  return Array.from({ length: count }, (_, index) => ({
    index,
    pixels: Uint8Array.from({ length: size }, () => rng.int(shape.levels)),
  }));
};

export const randomBatches = (shape: ImageShape, batches: number, batchSize: number, seed = 1): RecordBatch[] => {
  const records = randomRecords(shape, batches * batchSize, seed);
  return Array.from({ length: batches }, (_, index) => ({
    shape,
    index,
    records: records.slice(index * batchSize, (index + 1) * batchSize),
  }));
};

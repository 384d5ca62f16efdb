// The typed records every data source emits and every downstream operator consumes.

import type { ImageShape } from '../model.js';

/** One image: levels 0..K-1 per value, in H, W, C order (row-major, channels last). */
export interface ImageRecord {
  readonly pixels: Uint8Array;
  readonly label?: number;
  /** Position in its source (for reproducible order and error messages). */
  readonly index: number;
}

/** A data set held in memory: its image shape and records. Sources emit records of one shape. */
export interface ImageSet {
  readonly name: string;
  readonly shape: ImageShape;
  readonly records: readonly ImageRecord[];
}

/** A batch of records, before it becomes a tensor. */
export interface RecordBatch {
  readonly shape: ImageShape;
  readonly records: readonly ImageRecord[];
  /** 0-based index of this batch in its stream (= the training step it feeds). */
  readonly index: number;
}

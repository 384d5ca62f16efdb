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
  /** Names of the classes the labels index (label n is classNames[n]), where the source has them. */
  readonly classNames?: readonly string[];
}

/**
 * The classes of a set whose every record has a label: its own names, or '0'..'n−1' for n = the
 * largest label + 1; undefined when some record has none.
 */
export const classNamesOf = (set: ImageSet): readonly string[] | undefined => {
  if (set.records.length === 0 || set.records.some((r) => r.label === undefined)) return undefined;
  if (set.classNames) return set.classNames;
  const n = Math.max(...set.records.map((r) => r.label!)) + 1;
  return Array.from({ length: n }, (_, k) => String(k));
};

/** A batch of records, before it becomes a tensor. */
export interface RecordBatch {
  readonly shape: ImageShape;
  readonly records: readonly ImageRecord[];
  /** 0-based index of this batch in its stream (= the training step it feeds). */
  readonly index: number;
}

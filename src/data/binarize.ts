// 8-bit images → binary images (levels 2), as in the paper's binarized MNIST.
// Fixed threshold: value > threshold (default 0.5·255). Stochastic: value/255 is the probability
// of a 1, drawn from a PRNG seeded by (seed, epoch, record index) only — so any record in any
// epoch can be recomputed exactly on resume, in any order.

import * as E from 'fp-ts/lib/Either.js';
import { seedState } from '../rng.js';
import type { ImageRecord, ImageSet } from './records.js';

export type Binarization =
  | { readonly kind: 'threshold'; readonly threshold?: number }
  | { readonly kind: 'stochastic'; readonly seed: number };

export const DEFAULT_THRESHOLD = 0.5 * 255;

/** 1 where value > threshold, else 0. */
export const binarizeThreshold = (pixels: Uint8Array, threshold: number = DEFAULT_THRESHOLD): Uint8Array => {
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! > threshold ? 1 : 0;
  return out;
};

/** The PRNG state for one record in one epoch: a pure function of (seed, epoch, index). */
export const binarizationState = (seed: number, index: number, epoch = 0): number =>
  seedState(seedState(seed, epoch), index);

/**
 * 1 with probability value/255, pure in (seed, index, epoch). Draws u_i from the mulberry32 stream
 * of src/rng.ts (same sequence as `new Rng(binarizationState(...)).uniform()`, inlined: no
 * allocation per draw) and writes 1 where u_i·255 < value_i.
 */
export const binarizeStochastic = (pixels: Uint8Array, seed: number, index: number, epoch = 0): Uint8Array => {
  let state = binarizationState(seed, index, epoch);
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = u * 255 < pixels[i]! ? 1 : 0;
  }
  return out;
};

/** Binarize one record (epoch 0 for a static binarization). */
export const binarizeRecord = (r: ImageRecord, mode: Binarization, epoch = 0): ImageRecord => ({
  ...r,
  pixels:
    mode.kind === 'threshold'
      ? binarizeThreshold(r.pixels, mode.threshold)
      : binarizeStochastic(r.pixels, mode.seed, r.index, epoch),
});

/** Binarize a whole 8-bit set once (levels 256 → 2). */
export const binarizeSet = (set: ImageSet, mode: Binarization): E.Either<Error, ImageSet> => {
  if (set.shape.levels !== 256)
    return E.left(new Error(`${set.name}: binarization expected 8-bit images (levels 256), found levels ${set.shape.levels}`));
  if (mode.kind === 'threshold' && mode.threshold !== undefined && !(mode.threshold >= 0 && mode.threshold < 255))
    return E.left(new Error(`binarize threshold: expected a number in [0, 255), found ${mode.threshold}`));
  return E.right({
    name: `${set.name}/binarized-${mode.kind}`,
    shape: { ...set.shape, levels: 2 },
    records: set.records.map((r) => binarizeRecord(r, mode)),
    ...(set.classNames ? { classNames: set.classNames } : {}),
  });
};

/** A per-epoch record transform for the training source (streams/epochs.ts). */
export interface EpochTransform {
  /** Levels of the transformed records. */
  readonly levels: number;
  /** Levels the input records must have. */
  readonly inputLevels: number;
  readonly apply: (record: ImageRecord, epoch: number) => ImageRecord;
}

/** Fresh stochastic binarization every epoch, pure in (seed, epoch, record index). */
export const stochasticBinarization = (seed: number): EpochTransform => ({
  levels: 2,
  inputLevels: 256,
  apply: (r, epoch) => binarizeRecord(r, { kind: 'stochastic', seed }, epoch),
});

// Sampling vocabulary shared by the pure samplers (src/sampling) and the stream (streams/sample.ts).
//
// Order: raster order over (row i, column j), and within a pixel channel 0, 1, … (R, G, B). A batch of
// B images is sampled together: one position (i, j, c) for all B images per step.

import type { AutoregressiveModel } from '../model.js';

/**
 * A sampler that produces the model's head one position at a time over a batch of B images.
 *
 * Protocol: positions are visited in the family's sampling order (raster order, R → G → B, for most);
 * before `headAt(i, j, c)` every earlier position must have been `commit`ted (sampled or known). A
 * sampler may compute lazily: committing a run of known positions (image completion) and then asking
 * for the head is allowed.
 */
export interface IncrementalSampler {
  readonly batch: number;
  /** Which scheme runs: 'naive' (rerun the network) or e.g. 'cached-pixelcnn'. */
  readonly kind: string;
  /**
   * The head features of pixel (i, j) for every image: [B·C·F], image b at b·C·F (the layout the
   * model's likelihood reads). Block c is computed now; blocks < c hold what the earlier calls at
   * this pixel computed (the loop asks for every channel of a sampled pixel in turn); later blocks
   * are unspecified. Owned by the caller.
   */
  headAt(i: number, j: number, c: number): Float32Array;
  /** Fix the value (a level 0..K-1) of channel c at (i, j) for every image. */
  commit(i: number, j: number, c: number, values: ArrayLike<number>): void;
  /** Free whatever tensors or buffers it holds. Idempotent. */
  dispose(): void;
}

/** A sampler for a batch of B images; `labels` (one class per image) for a class-conditional model. */
export type SamplerFactory = (model: AutoregressiveModel, batch: number, labels?: Int32Array) => IncrementalSampler;

/** The order values are sampled in: flat indices (i·W + j)·C + c, first to last. */
export type SamplingOrder = Int32Array;

export interface SampleOptions {
  /** Number of images in all (default 1; for completion, the number of known images). */
  readonly count?: number;
  /** Images sampled together (default min(count, 16)). */
  readonly batchSize?: number;
  readonly seed?: number;
  /** Sharpens (< 1) or flattens (> 1) every draw as the likelihood states; 0 draws the most likely value (default 1). */
  readonly temperature?: number;
  /** Rows 0..keepRows-1 are taken from `known` and not sampled (default 0). */
  readonly keepRows?: number;
  /** Known images, H·W·C levels each in (H, W, C) order; needed when keepRows > 0. */
  readonly known?: readonly Uint8Array[];
  /** Use the family's cached incremental sampler when there is one (default true). */
  readonly cached?: boolean;
  /** The class of each image (at least `count`) for a class-conditional model; one number for all. */
  readonly labels?: number | readonly number[];
}

export interface ResolvedSampleOptions {
  readonly count: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly temperature: number;
  readonly keepRows: number;
  readonly known: readonly Uint8Array[] | null;
  readonly cached: boolean;
  /** One class per image, or null for an unconditional model. */
  readonly labels: Int32Array | null;
}

/** One value was sampled. `probability` is the model's (temperature 1) probability of `value`. */
export interface ValueEvent {
  readonly kind: 'value';
  readonly image: number;
  readonly row: number;
  readonly col: number;
  readonly channel: number;
  readonly value: number;
  readonly probability: number;
}

/** Every value of one row of one image is now fixed. */
export interface RowEvent {
  readonly kind: 'row';
  readonly image: number;
  readonly row: number;
}

/** An image is finished: its levels in (H, W, C) order. */
export interface ImageEvent {
  readonly kind: 'image';
  readonly image: number;
  readonly pixels: Uint8Array;
}

export type SampleEvent = ValueEvent | RowEvent | ImageEvent;

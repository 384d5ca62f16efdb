// The vocabulary of the property library: positions, counterexamples, summaries.
//
// Every tensor-valued image is indexed in raster order with the channel fastest: the flat index of
// (i, j, c) is (i·W + j)·C + c. The autoregressive order is exactly this order: the logits at flat
// index p may depend on the inputs q < p and on nothing else.

import type * as E from 'fp-ts/lib/Either.js';
import type { ImageShape } from '../src/model.js';

/** A value of an image: row i, column j, channel c. */
export interface Position {
  readonly i: number;
  readonly j: number;
  readonly c: number;
}

/** Which law a counterexample breaks. */
export type LawName =
  | 'causality'
  | 'channel-order'
  | 'full-past'
  | 'normalisation'
  | 'sampler-agreement'
  | 'determinism'
  | 'label-dependence';

/** The laws every model is held to (label dependence applies to class-conditional ones only). */
export type ModelLawName = Exclude<LawName, 'label-dependence'>;

/** The smallest evidence that a law fails, in words and in numbers. */
export interface Counterexample {
  readonly law: LawName;
  /** One sentence: what was expected and what was found. */
  readonly message: string;
  /** The logit (output position) that moved, or should have moved. */
  readonly position?: Position;
  /** The input value that changed (perturbation) or whose gradient is non-zero. */
  readonly input?: Position;
  /** The perturbation: the input level before and after. */
  readonly from?: number;
  readonly to?: number;
  /** By how much the logit moved (max |Δ| over K), or the gradient's magnitude. */
  readonly delta?: number;
  /** 'leak': depends on something it must not; 'missing': ignores something it should see. */
  readonly kind?: 'leak' | 'missing';
  /** The base image (levels, flat, raster order with channel fastest), when one image shows it. */
  readonly image?: readonly number[];
  /** Further numbers, law-specific (e.g. the probability sum, a χ² statistic and p-value). */
  readonly details?: Readonly<Record<string, number | string>>;
}

/** What a passing check looked at. */
export interface Summary {
  readonly law: LawName;
  /** Number of elementary comparisons made (logit–input pairs, images, samples …). */
  readonly checks: number;
  readonly details?: Readonly<Record<string, number | string>>;
}

export type CheckResult = E.Either<Counterexample, Summary>;

export const flatIndex = (s: ImageShape, p: Position): number => (p.i * s.width + p.j) * s.channels + p.c;

export { positionOf } from '../src/sampling/order.js';

export const showPosition = (p: Position): string => `(i=${p.i}, j=${p.j}, c=${p.c})`;

/** Number of values in one image: H·W·C. */
export const valuesPerImage = (s: ImageShape): number => s.height * s.width * s.channels;

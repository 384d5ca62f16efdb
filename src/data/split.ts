// Deterministic train / validation split: a seeded permutation picks the validation records;
// both parts keep the source order and the records' original `index`.

import * as E from 'fp-ts/lib/Either.js';
import { permutation } from '../rng.js';
import type { ImageSet } from './records.js';

export type SplitOptions =
  | { readonly seed: number; readonly fraction: number }
  | { readonly seed: number; readonly count: number };

export interface Split {
  readonly train: ImageSet;
  readonly validation: ImageSet;
}

/** PRNG stream used for splits (distinct from shuffling's epoch streams). */
export const SPLIT_STREAM = 0x5e1;

/** Number of validation records the options ask for, or an Error naming the field. */
export const validationCount = (n: number, options: SplitOptions): E.Either<Error, number> => {
  if ('fraction' in options) {
    const f = options.fraction;
    if (!(typeof f === 'number' && f >= 0 && f <= 1))
      return E.left(new Error(`validation fraction: expected a number in [0, 1], found ${f}`));
    return E.right(Math.round(n * f));
  }
  const c = options.count;
  if (!(Number.isInteger(c) && c >= 0 && c <= n))
    return E.left(new Error(`validation count: expected an integer in [0, ${n}], found ${c}`));
  return E.right(c);
};

export const splitSet = (set: ImageSet, options: SplitOptions): E.Either<Error, Split> => {
  if (!Number.isFinite(options.seed)) return E.left(new Error(`split seed: expected a finite number, found ${options.seed}`));
  const n = set.records.length;
  const v = validationCount(n, options);
  if (E.isLeft(v)) return v;
  const perm = permutation(n, options.seed, SPLIT_STREAM);
  const inValidation = new Uint8Array(n);
  for (let i = 0; i < v.right; i++) inValidation[perm[i]!] = 1;
  return E.right({
    train: { ...set, name: `${set.name}/train`, records: set.records.filter((_, i) => !inValidation[i]) },
    validation: { ...set, name: `${set.name}/validation`, records: set.records.filter((_, i) => inValidation[i]) },
  });
};

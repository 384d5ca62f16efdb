// The training data order as a pure function of (set, batchSize, seed, step).
//
// Epoch e visits the records in the order permutation(n, seed, e). Concatenate the epochs' orders
// into one endless sequence; batch s holds positions s·B … (s+1)·B − 1 of it. Batches therefore
// straddle epoch boundaries (nothing is dropped and every batch has exactly B records; when
// B > n a batch spans several epochs). The batch at step s needs only the permutations of the
// epochs it touches, so starting at any step costs the same as starting at 0.

import * as E from 'fp-ts/lib/Either.js';
import type { ImageShape } from '../model.js';
import { permutation } from '../rng.js';
import type { EpochTransform } from './binarize.js';
import type { ImageRecord, ImageSet, RecordBatch } from './records.js';

export interface EpochPlanOptions {
  readonly batchSize: number;
  readonly seed: number;
  /** Per-epoch record transform, e.g. stochasticBinarization(seed). */
  readonly transform?: EpochTransform;
}

export interface EpochPlan {
  readonly set: ImageSet;
  readonly batchSize: number;
  readonly seed: number;
  readonly transform?: EpochTransform;
  /** Shape of the emitted batches (levels from the transform when there is one). */
  readonly shape: ImageShape;
}

const isNonNegInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export const epochPlan = (set: ImageSet, options: EpochPlanOptions): E.Either<Error, EpochPlan> => {
  const { batchSize, seed, transform } = options;
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1))
    return E.left(new Error(`batchSize: expected an integer ≥ 1, found ${batchSize}`));
  if (!Number.isFinite(seed)) return E.left(new Error(`seed: expected a finite number, found ${seed}`));
  if (set.records.length === 0)
    return E.left(new Error(`${set.name}: expected a non-empty image set for training epochs, found 0 records`));
  if (transform && transform.inputLevels !== set.shape.levels)
    return E.left(
      new Error(`${set.name}: the epoch transform expected levels ${transform.inputLevels}, found levels ${set.shape.levels}`),
    );
  const shape = transform ? { ...set.shape, levels: transform.levels } : set.shape;
  return E.right(transform ? { set, batchSize, seed, transform, shape } : { set, batchSize, seed, shape });
};

/** Epoch (fractional) reached after `step` full batches: step·B / n. For progress displays. */
export const epochAtStep = (plan: EpochPlan, step: number): number => (step * plan.batchSize) / plan.set.records.length;

/** A tiny cache of epoch permutations (a batch touches at most a few consecutive epochs). */
export const permutationCache = (n: number, seed: number, keep = 3): ((epoch: number) => Uint32Array) => {
  const cache = new Map<number, Uint32Array>();
  return (epoch) => {
    let p = cache.get(epoch);
    if (!p) {
      p = permutation(n, seed, epoch);
      cache.set(epoch, p);
      if (cache.size > keep) cache.delete(cache.keys().next().value!);
    }
    return p;
  };
};

/** The batch at training step `step` (its `index` is the step). Pure in (plan, step). */
export const epochBatchAt = (
  plan: EpochPlan,
  step: number,
  perms: (epoch: number) => Uint32Array = permutationCache(plan.set.records.length, plan.seed),
): RecordBatch => {
  const { set, batchSize: B, transform } = plan;
  const n = set.records.length;
  const records: ImageRecord[] = new Array(B);
  for (let j = 0; j < B; j++) {
    const g = step * B + j;
    const epoch = Math.floor(g / n);
    const r = set.records[perms(epoch)[g - epoch * n]!]!;
    records[j] = transform ? transform.apply(r, epoch) : r;
  }
  return { shape: plan.shape, records, index: step };
};

/**
 * Batches from `startStep` (default 0) up to, not including, `maxSteps` (the total number of
 * steps of the run counted from step 0; undefined = endless). Lazy: each batch is built when the
 * consumer pulls it.
 */
export function* epochBatches(plan: EpochPlan, startStep = 0, maxSteps = Infinity): Generator<RecordBatch, void, undefined> {
  if (!isNonNegInt(startStep)) throw new Error(`startStep: expected an integer ≥ 0, found ${startStep}`);
  if (!(maxSteps === Infinity || isNonNegInt(maxSteps)))
    throw new Error(`maxSteps: expected an integer ≥ 0, found ${maxSteps}`);
  const perms = permutationCache(plan.set.records.length, plan.seed);
  for (let s = startStep; s < maxSteps; s++) yield epochBatchAt(plan, s, perms);
}

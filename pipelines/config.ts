// The configuration of a training run: decoded with io-ts from CLI flags and an optional JSON file,
// stored in every checkpoint so that `--resume` continues exactly the same run.

import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { formatValidationErrors } from '../src/data/errors.js';
import { NonNegativeInt, PositiveInt } from '../src/models/spec.js';
import { OptimizerConfigCodec } from '../src/train/optimizers.js';

const FiniteNumber = new t.Type<number, number, unknown>(
  'finite number',
  (u): u is number => typeof u === 'number' && Number.isFinite(u),
  (u, c) => (typeof u === 'number' && Number.isFinite(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

export const RunConfigCodec = t.intersection(
  [
    t.type({
      /** Training images: see pipelines/data.ts. */
      data: t.string,
      binarize: t.union([t.literal('none'), t.literal('threshold'), t.literal('stochastic')]),
      /** Model spec (any family), decoded separately by decodeSpec. */
      model: t.unknown,
      steps: PositiveInt,
      batchSize: PositiveInt,
      optimizer: OptimizerConfigCodec,
      seed: NonNegativeInt,
      /** Images held out from `data` for evaluation (ignored when testData is given). */
      validation: NonNegativeInt,
      checkpointEvery: NonNegativeInt,
      keep: PositiveInt,
      onNonFinite: t.union([t.literal('stop'), t.literal('skip')]),
      samples: NonNegativeInt,
      temperature: FiniteNumber,
    }),
    t.partial({
      /** Evaluate on these images instead of a held-out part of `data`. */
      testData: t.string,
      /** Use only the first N training images. */
      limit: PositiveInt,
      /** Images evaluated at the end (default: all). */
      evalLimit: PositiveInt,
    }),
  ],
  'RunConfig',
);
export type RunConfig = t.TypeOf<typeof RunConfigCodec>;

export const decodeRunConfig = (u: unknown, where: string): E.Either<Error, RunConfig> =>
  pipe(
    RunConfigCodec.decode(u),
    E.mapLeft((errs) => new Error(`${where}: ${formatValidationErrors(errs)}`)),
    E.chain((c) =>
      c.optimizer.learningRate > 0 && Number.isFinite(c.optimizer.learningRate)
        ? E.right(c)
        : E.left(new Error(`${where}: optimizer.learningRate: expected a finite number > 0, found ${c.optimizer.learningRate}`)),
    ),
  );

// Row LSTM and Diagonal BiLSTM specs for the property laws (fast-check), and the recurrent body
// that Multi-Scale's arbitrary reuses.

import fc from 'fast-check';
import { likelihoodSpecArb } from '../../likelihoods/arbitrary.js';
import type { ImageShape } from '../../model.js';
import { imageShapeArb, type ShapeConstraints } from '../../shapeArb.js';
import type { DiagonalBiLstmSpec } from '../diagonalBiLstm/index.js';
import type { RowLstmSpec } from '../rowLstm/index.js';
import type { RecurrentBody } from './spec.js';

/** Limits on PixelRNN hyper-parameters. */
export interface PixelRnnConstraints extends ShapeConstraints {
  /** Largest hidden / headHidden width (default 8); the smallest is C. */
  readonly maxHidden?: number;
  /** Largest number of recurrent layers (default 2). */
  readonly maxLayers?: number;
}

/** The body of a Row LSTM or Diagonal BiLSTM for an image shape (hidden, headHidden ≥ C). */
export const recurrentBodyArb = (
  family: 'row-lstm' | 'diagonal-bilstm',
  shape: ImageShape,
  k: PixelRnnConstraints = {},
): fc.Arbitrary<RecurrentBody> => {
  const width = fc.integer({ min: shape.channels, max: Math.max(shape.channels, k.maxHidden ?? 8) });
  const common = {
    hidden: width,
    headHidden: width,
    layers: fc.integer({ min: 1, max: k.maxLayers ?? 2 }),
    firstKernel: fc.constantFrom(3, 1, 5, 7),
    residual: fc.boolean(),
    skip: fc.boolean(),
  };
  return family === 'row-lstm'
    ? fc.record({ ...common, rowKernel: fc.constantFrom(3, 1, 5) }).map((b): RecurrentBody => ({ family, ...b }))
    : fc.record(common).map((b): RecurrentBody => ({ family, ...b }));
};

/** Row LSTM (family 'row-lstm') specs over the constrained image shapes. */
export const rowLstmSpecArb = (k: PixelRnnConstraints = {}): fc.Arbitrary<RowLstmSpec> =>
  imageShapeArb(k).chain((shape) =>
    fc
      .tuple(recurrentBodyArb('row-lstm', shape, k), likelihoodSpecArb(shape.levels))
      .map(([b, likelihood]) => ({ ...shape, channels: shape.channels as 1 | 3, likelihood, ...b }) as RowLstmSpec),
  );

/** Diagonal BiLSTM (family 'diagonal-bilstm') specs over the constrained image shapes. */
export const diagonalBiLstmSpecArb = (k: PixelRnnConstraints = {}): fc.Arbitrary<DiagonalBiLstmSpec> =>
  imageShapeArb(k).chain((shape) =>
    fc
      .tuple(recurrentBodyArb('diagonal-bilstm', shape, k), likelihoodSpecArb(shape.levels))
      .map(([b, likelihood]) => ({ ...shape, channels: shape.channels as 1 | 3, likelihood, ...b }) as DiagonalBiLstmSpec),
  );


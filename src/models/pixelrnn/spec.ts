// What the PixelRNN families share in their specs: the recurrent "body" (everything but the image
// shape and the likelihood), so that the Multi-Scale PixelRNN can reuse it for its small (s×s) and
// large (n×n) networks; the rules a codec cannot express; the presets' body.

import * as t from 'io-ts';
import type { ImageShape } from '../../model.js';
import { Features, OddKernel, PositiveLayerCount, strictType } from '../spec.js';

export const recurrentFields = {
  /** h: features of the LSTM state; the maps between layers have 2h. */
  hidden: Features,
  /** Number of recurrent layers after the first masked convolution. */
  layers: PositiveLayerCount,
  /** Kernel of the first convolution (mask A), 7 in the paper. */
  firstKernel: OddKernel,
  /** Features of the first of the two ReLU + 1×1 mask-B output layers. */
  headHidden: Features,
  /** Residual connection around each recurrent layer (paper Table 2). */
  residual: t.boolean,
  /** Skip connections from every layer to the output head (paper Table 2). */
  skip: t.boolean,
};

/** k of the Row LSTM's 1×k mask-B input-to-state convolution along the row (3 in the paper). */
export const rowLstmFields = { family: t.literal('row-lstm'), ...recurrentFields, rowKernel: OddKernel };
export const diagonalBiLstmFields = { family: t.literal('diagonal-bilstm'), ...recurrentFields };

export const RowLstmBodyCodec = strictType(rowLstmFields, 'RowLstmBody');
export type RowLstmBody = t.TypeOf<typeof RowLstmBodyCodec>;
export const DiagonalBiLstmBodyCodec = strictType(diagonalBiLstmFields, 'DiagonalBiLstmBody');
export type DiagonalBiLstmBody = t.TypeOf<typeof DiagonalBiLstmBodyCodec>;

export const RecurrentBodyCodec = t.union([RowLstmBodyCodec, DiagonalBiLstmBodyCodec], 'RecurrentBody');
export type RecurrentBody = RowLstmBody | DiagonalBiLstmBody;

/** Rules a codec cannot express; `where` prefixes every message. */
export const recurrentRules = (s: ImageShape & RecurrentBody, where = ''): string[] => [
  ...(s.hidden < s.channels ? [`${where}hidden: expected ≥ channels (${s.channels}), found ${s.hidden}`] : []),
  ...(s.headHidden < s.channels ? [`${where}headHidden: expected ≥ channels (${s.channels}), found ${s.headHidden}`] : []),
];

/** The body of a PixelRNN preset: residual and skip connections on, Row LSTM input-to-state 1×3. */
export function recurrentBody(family: RecurrentBody['family'], hidden: number, layers: number, firstKernel: number, headHidden: number): RecurrentBody {
  const common = { hidden, layers, firstKernel, headHidden, residual: true, skip: true };
  return family === 'row-lstm' ? { family, ...common, rowKernel: 3 } : { family, ...common };
}

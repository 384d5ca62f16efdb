// Row LSTM PixelRNN (van den Oord et al. 2016, §3.1): the PixelRNN of ../pixelrnn/network.ts with
// Row LSTM layers (layers/rowLstm.ts) — a 1×k mask-B input-to-state convolution along the row and a
// 1×3 state-to-state convolution over the row above, processed top to bottom. Its receptive field
// is a triangle above each pixel, not the whole past.

import type * as t from 'io-ts';
import { rowLstmSpecArb } from '../pixelrnn/arbitrary.js';
import { recurrentFamily } from '../pixelrnn/family.js';
import { rowLstmField } from '../pixelrnn/field.js';
import { rowLstmFields } from '../pixelrnn/spec.js';
import { baseSpecFields, strictType } from '../spec.js';

export const RowLstmSpecCodec = strictType({ ...baseSpecFields, ...rowLstmFields }, 'RowLstmSpec');
export type RowLstmSpec = t.TypeOf<typeof RowLstmSpecCodec>;

export const rowLstm = recurrentFamily<RowLstmSpec>({
  family: 'row-lstm',
  label: 'Row LSTM',
  published: { source: 'van den Oord, Kalchbrenner, Kavukcuoglu 2016, Pixel Recurrent Neural Networks, Tables 4 and 5', binarizedMnistNats: 80.54, cifar10BitsPerDim: 3.07 },
  summary: 'Row LSTM: 1×3 mask-B input-to-state, 1×3 state-to-state from the row above; residual and skip connections',
  codec: RowLstmSpecCodec,
  referenceField: rowLstmField,
  specArb: rowLstmSpecArb,
});

/** A Row LSTM small enough for tests and property runs. */
export const tinyRowLstmSpec = (
  img: { height: number; width: number; channels: 1 | 3; levels: number },
  overrides: Partial<RowLstmSpec> = {},
): RowLstmSpec => ({ ...rowLstm.presets.tiny!(img), ...overrides });

// Diagonal BiLSTM PixelRNN (van den Oord et al. 2016, §3.2): the PixelRNN of ../pixelrnn/network.ts
// with Diagonal BiLSTM layers (layers/diagonalBiLstm.ts) — 1×1 mask-B input-to-state, a 2×1
// state-to-state convolution down each column of the skewed map, two directions, the right one
// shifted down a row. Its receptive field is the whole past.

import type * as t from 'io-ts';
import { diagonalBiLstmSpecArb } from '../pixelrnn/arbitrary.js';
import { recurrentFamily } from '../pixelrnn/family.js';
import { diagonalBiLstmField } from '../pixelrnn/field.js';
import { diagonalBiLstmFields } from '../pixelrnn/spec.js';
import { baseSpecFields, strictType } from '../spec.js';

export const DiagonalBiLstmSpecCodec = strictType({ ...baseSpecFields, ...diagonalBiLstmFields }, 'DiagonalBiLstmSpec');
export type DiagonalBiLstmSpec = t.TypeOf<typeof DiagonalBiLstmSpecCodec>;

export const diagonalBiLstm = recurrentFamily<DiagonalBiLstmSpec>({
  family: 'diagonal-bilstm',
  label: 'Diagonal BiLSTM',
  published: {
    source: 'van den Oord, Kalchbrenner, Kavukcuoglu 2016, Pixel Recurrent Neural Networks, Tables 4 and 5 (MNIST: 7 layers, h = 16)',
    binarizedMnistNats: 79.2,
    cifar10BitsPerDim: 3.0,
  },
  summary: 'Diagonal BiLSTM on the skewed map, two directions, the right one shifted down a row',
  codec: DiagonalBiLstmSpecCodec,
  referenceField: diagonalBiLstmField,
  specArb: diagonalBiLstmSpecArb,
});

/** A Diagonal BiLSTM small enough for tests and property runs. */
export const tinyDiagonalBiLstmSpec = (
  img: { height: number; width: number; channels: 1 | 3; levels: number },
  overrides: Partial<DiagonalBiLstmSpec> = {},
): DiagonalBiLstmSpec => ({ ...diagonalBiLstm.presets.tiny!(img), ...overrides });

// Row LSTM PixelRNN (van den Oord et al. 2016, §3.1): the PixelRNN of ../pixelrnn/network.ts with
// Row LSTM layers (layers/rowLstm.ts) — a 1×k mask-B input-to-state convolution along the row and a
// 1×3 state-to-state convolution over the row above, processed top to bottom. Its receptive field
// is a triangle above each pixel, not the whole past.

import type * as t from 'io-ts';
import { defaultLikelihood } from '../../likelihoods/index.js';
import type { ModelFamily, Preset } from '../../model.js';
import { Rng } from '../../rng.js';
import { rowLstmSpecArb } from '../pixelrnn/arbitrary.js';
import { cachedPixelRnnSampler } from '../pixelrnn/cachedSampler.js';
import { rowLstmField } from '../pixelrnn/field.js';
import { initPixelRnn, pixelRnnFlops, pixelRnnForward, pixelRnnShapes } from '../pixelrnn/network.js';
import { recurrentBody, recurrentRules, rowLstmFields, type RowLstmBody } from '../pixelrnn/spec.js';
import { baseSpecFields, strictType } from '../spec.js';

export const RowLstmSpecCodec = strictType({ ...baseSpecFields, ...rowLstmFields }, 'RowLstmSpec');
export type RowLstmSpec = t.TypeOf<typeof RowLstmSpecCodec>;

const preset =
  (hidden: number, layers: number, firstKernel: number, headHidden: number): Preset<RowLstmSpec> =>
  (img) => ({ ...img, likelihood: defaultLikelihood(img.levels), ...(recurrentBody('row-lstm', hidden, layers, firstKernel, headHidden) as RowLstmBody) });

export const rowLstm: ModelFamily<RowLstmSpec> = {
  family: 'row-lstm',
  label: 'Row LSTM',
  published: { source: 'van den Oord, Kalchbrenner, Kavukcuoglu 2016, Pixel Recurrent Neural Networks, Tables 4 and 5', binarizedMnistNats: 80.54, cifar10BitsPerDim: 3.07 },
  summary: 'Row LSTM: 1×3 mask-B input-to-state, 1×3 state-to-state from the row above; residual and skip connections',
  codec: RowLstmSpecCodec,
  rules: (s) => recurrentRules(s),
  presets: {
    /** For tests: a few hundred weights. */
    tiny: (img) => ({ ...preset(3 * img.channels, 1, 3, 2 * img.channels)(img) }),
    /** Small enough to train on a 2-core CPU. */
    small: preset(16, 3, 7, 32),
    /** A Row LSTM of the size of the paper's MNIST Diagonal BiLSTM: 7 layers, h = 16. */
    mnist: preset(16, 7, 7, 32),
    /** The paper's CIFAR-10 Row LSTM: 12 layers, h = 128. */
    cifar: preset(128, 12, 7, 1024),
  },
  shapes: (s) => pixelRnnShapes(s),
  init: (s, seed) => initPixelRnn(s, Rng.fromSeed(seed, 1)),
  forward: (s, params, x, options) => pixelRnnForward(s, params, x, options),
  cachedSampler: cachedPixelRnnSampler,
  referenceField: rowLstmField,
  specArb: rowLstmSpecArb,
  trainingFlops: (s) => pixelRnnFlops(s).train,
};

/** A Row LSTM small enough for tests and property runs. */
export const tinyRowLstmSpec = (
  img: { height: number; width: number; channels: 1 | 3; levels: number },
  overrides: Partial<RowLstmSpec> = {},
): RowLstmSpec => ({ ...rowLstm.presets.tiny!(img), ...overrides });

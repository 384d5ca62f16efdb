// Diagonal BiLSTM PixelRNN (van den Oord et al. 2016, §3.2): the PixelRNN of ../pixelrnn/network.ts
// with Diagonal BiLSTM layers (layers/diagonalBiLstm.ts) — 1×1 mask-B input-to-state, a 2×1
// state-to-state convolution down each column of the skewed map, two directions, the right one
// shifted down a row. Its receptive field is the whole past.

import type * as t from 'io-ts';
import { defaultLikelihood } from '../../likelihoods/index.js';
import type { ModelFamily, Preset } from '../../model.js';
import { Rng } from '../../rng.js';
import { diagonalBiLstmSpecArb } from '../pixelrnn/arbitrary.js';
import { cachedPixelRnnSampler } from '../pixelrnn/cachedSampler.js';
import { diagonalBiLstmField } from '../pixelrnn/field.js';
import { initPixelRnn, pixelRnnFlops, pixelRnnForward, pixelRnnShapes } from '../pixelrnn/network.js';
import { diagonalBiLstmFields, recurrentBody, recurrentRules, type DiagonalBiLstmBody } from '../pixelrnn/spec.js';
import { baseSpecFields, strictType } from '../spec.js';

export const DiagonalBiLstmSpecCodec = strictType({ ...baseSpecFields, ...diagonalBiLstmFields }, 'DiagonalBiLstmSpec');
export type DiagonalBiLstmSpec = t.TypeOf<typeof DiagonalBiLstmSpecCodec>;

const preset =
  (hidden: number, layers: number, firstKernel: number, headHidden: number): Preset<DiagonalBiLstmSpec> =>
  (img) => ({
    ...img,
    likelihood: defaultLikelihood(img.levels),
    ...(recurrentBody('diagonal-bilstm', hidden, layers, firstKernel, headHidden) as DiagonalBiLstmBody),
  });

export const diagonalBiLstm: ModelFamily<DiagonalBiLstmSpec> = {
  family: 'diagonal-bilstm',
  label: 'Diagonal BiLSTM',
  published: { source: 'van den Oord, Kalchbrenner, Kavukcuoglu 2016, Pixel Recurrent Neural Networks, Tables 4 and 5 (MNIST: 7 layers, h = 16)', binarizedMnistNats: 79.2, cifar10BitsPerDim: 3.0 },
  summary: 'Diagonal BiLSTM on the skewed map, two directions, the right one shifted down a row',
  codec: DiagonalBiLstmSpecCodec,
  rules: (s) => recurrentRules(s),
  presets: {
    /** For tests: a few hundred weights. */
    tiny: (img) => preset(3 * img.channels, 1, 3, 2 * img.channels)(img),
    /** Small enough to train on a 2-core CPU. */
    small: preset(16, 3, 7, 32),
    /** The paper's binarized-MNIST Diagonal BiLSTM: 7 layers, h = 16. */
    mnist: preset(16, 7, 7, 32),
    /** The paper's CIFAR-10 Diagonal BiLSTM: 12 layers, h = 128. */
    cifar: preset(128, 12, 7, 1024),
  },
  shapes: (s) => pixelRnnShapes(s),
  init: (s, seed) => initPixelRnn(s, Rng.fromSeed(seed, 1)),
  forward: (s, params, x, options) => pixelRnnForward(s, params, x, options),
  cachedSampler: cachedPixelRnnSampler,
  referenceField: diagonalBiLstmField,
  specArb: diagonalBiLstmSpecArb,
  trainingFlops: (s) => pixelRnnFlops(s).train,
};

/** A Diagonal BiLSTM small enough for tests and property runs. */
export const tinyDiagonalBiLstmSpec = (
  img: { height: number; width: number; channels: 1 | 3; levels: number },
  overrides: Partial<DiagonalBiLstmSpec> = {},
): DiagonalBiLstmSpec => ({ ...diagonalBiLstm.presets.tiny!(img), ...overrides });

// Row LSTM PixelRNN (van den Oord et al. 2016, §3.1): the PixelRNN of pixelrnn.ts with Row LSTM
// layers (layers/rowLstm.ts) — a 1×k mask-B input-to-state convolution along the row and a 1×3
// state-to-state convolution over the row above, processed top to bottom. Its receptive field is a
// triangle above each pixel, not the whole past.

import type { ModelFamily } from '../model.js';
import { Rng } from '../rng.js';
import { initPixelRnn, pixelRnnForward, pixelRnnShapes } from './pixelrnn.js';
import type { RowLstmSpec } from './spec.js';

export const rowLstm: ModelFamily<RowLstmSpec> = {
  family: 'row-lstm',
  shapes: (s) => pixelRnnShapes(s),
  init: (s, seed) => initPixelRnn(s, Rng.fromSeed(seed, 1)),
  forward: (s, params, x, options) => pixelRnnForward(s, params, x, options),
};

/** A Row LSTM small enough for tests and property runs. */
export const tinyRowLstmSpec = (
  img: { height: number; width: number; channels: 1 | 3; levels: number },
  overrides: Partial<RowLstmSpec> = {},
): RowLstmSpec => ({
  family: 'row-lstm',
  ...img,
  hidden: 3 * img.channels,
  layers: 1,
  firstKernel: 3,
  rowKernel: 3,
  headHidden: 2 * img.channels,
  head: img.levels === 2 ? 'bernoulli' : 'softmax',
  residual: true,
  skip: true,
  ...overrides,
});

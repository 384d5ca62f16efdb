// Diagonal BiLSTM PixelRNN (van den Oord et al. 2016, §3.2): the PixelRNN of pixelrnn.ts with
// Diagonal BiLSTM layers (layers/diagonalBiLstm.ts) — 1×1 mask-B input-to-state, a 2×1
// state-to-state convolution down each column of the skewed map, two directions, the right one
// shifted down a row. Its receptive field is the whole past.

import type { ModelFamily } from '../model.js';
import { Rng } from '../rng.js';
import { initPixelRnn, pixelRnnForward, pixelRnnShapes } from './pixelrnn.js';
import type { DiagonalBiLstmSpec } from './spec.js';

export const diagonalBiLstm: ModelFamily<DiagonalBiLstmSpec> = {
  family: 'diagonal-bilstm',
  shapes: (s) => pixelRnnShapes(s),
  init: (s, seed) => initPixelRnn(s, Rng.fromSeed(seed, 1)),
  forward: (s, params, x, options) => pixelRnnForward(s, params, x, options),
};

/** A Diagonal BiLSTM small enough for tests and property runs. */
export const tinyDiagonalBiLstmSpec = (
  img: { height: number; width: number; channels: 1 | 3; levels: number },
  overrides: Partial<DiagonalBiLstmSpec> = {},
): DiagonalBiLstmSpec => ({
  family: 'diagonal-bilstm',
  ...img,
  hidden: 3 * img.channels,
  layers: 1,
  firstKernel: 3,
  headHidden: 2 * img.channels,
  head: img.levels === 2 ? 'bernoulli' : 'softmax',
  residual: true,
  skip: true,
  ...overrides,
});

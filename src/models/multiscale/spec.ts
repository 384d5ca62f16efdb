// Multi-Scale PixelRNN's spec: an image, a likelihood, the subsampling factor and two recurrent
// bodies (the small network's and the large network's), both read by the same likelihood.

import type * as t from 'io-ts';
import { defaultLikelihood } from '../../likelihoods/index.js';
import type { Preset } from '../../model.js';
import { recurrentBody, RecurrentBodyCodec, recurrentRules } from '../pixelrnn/spec.js';
import { baseSpecFields, Features, intCodec, strictType } from '../spec.js';
import * as io from 'io-ts';

export const MultiscaleSpecCodec = strictType(
  {
    family: io.literal('multiscale'),
    ...baseSpecFields,
    /** n / s: the small image takes every factor-th pixel of every factor-th row. */
    factor: intCodec('integer in 2..64', (n) => n >= 2 && n <= 64),
    /** c: features of the upsampled (deconvolved) small image that biases every large layer. */
    conditionFeatures: Features,
    /** Unconditional network over the s×s image. */
    small: RecurrentBodyCodec,
    /** Conditional network over the n×n image. */
    large: RecurrentBodyCodec,
  },
  'MultiscaleSpec',
);
export type MultiscaleSpec = t.TypeOf<typeof MultiscaleSpecCodec>;

/** Rules a codec cannot express. */
export const multiscaleRules = (s: MultiscaleSpec): string[] => [
  ...(s.height % s.factor !== 0 || s.width % s.factor !== 0
    ? [`factor: expected a divisor of height ${s.height} and width ${s.width}, found ${s.factor}`]
    : []),
  ...recurrentRules({ ...s, ...s.small }, 'small.'),
  ...recurrentRules({ ...s, ...s.large }, 'large.'),
];

export const multiscalePresets: Record<string, Preset<MultiscaleSpec>> = {
  /** For tests: a few hundred weights each. */
  tiny: (img) => ({
    family: 'multiscale', ...img, likelihood: defaultLikelihood(img.levels), factor: 2, conditionFeatures: 2,
    small: recurrentBody('row-lstm', img.channels, 1, 3, img.channels),
    large: recurrentBody('diagonal-bilstm', 2 * img.channels, 1, 3, img.channels),
  }),
  /** Diagonal BiLSTMs, small image at half resolution. Needs even height and width. */
  small: (img) => ({
    family: 'multiscale', ...img, likelihood: defaultLikelihood(img.levels), factor: 2, conditionFeatures: 16,
    small: recurrentBody('diagonal-bilstm', 16, 2, 3, 32),
    large: recurrentBody('diagonal-bilstm', 16, 3, 7, 32),
  }),
};

// The Multi-Scale PixelRNN family as one value (van den Oord et al. 2016, §3.5): an s×s subsampled
// image from an unconditional PixelRNN, then the full image from a PixelRNN conditioned on it.

import type { ModelFamily } from '../../model.js';
import { multiscaleSpecArb } from './arbitrary.js';
import { cachedMultiscaleSampler } from './cachedSampler.js';
import { combinedHead, initMultiscale, multiscaleNll, multiscaleShapes } from './network.js';
import { multiscaleSamplingOrder } from './order.js';
import { MultiscaleSpecCodec, multiscalePresets, multiscaleRules, type MultiscaleSpec } from './spec.js';

export type { MultiscaleSpec } from './spec.js';

export const multiscale: ModelFamily<MultiscaleSpec> = {
  family: 'multiscale',
  label: 'Multi-Scale PixelRNN',
  summary: 'Multi-Scale PixelRNN: an s×s subsampled image, then the full image conditioned on it',
  codec: MultiscaleSpecCodec,
  rules: multiscaleRules,
  presets: multiscalePresets,
  shapes: multiscaleShapes,
  init: initMultiscale,
  forward: combinedHead,
  order: multiscaleSamplingOrder,
  cachedSampler: cachedMultiscaleSampler,
  specArb: multiscaleSpecArb,
  nllParts: (s, params, x) => {
    const { small, conditional, total } = multiscaleNll(s, params, x);
    total.dispose();
    return { small, conditional };
  },
};

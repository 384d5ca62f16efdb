// The PixelCNN family as one value: spec, presets, network, cached sampler, reference field,
// arbitrary and cost, registered in src/models/registry.ts.

import { maskTable, usefulWeights } from '../../masks.js';
import type { ModelFamily } from '../../model.js';
import { pixelCnnSpecArb } from './arbitrary.js';
import { cachedPixelCnnSampler } from './cachedSampler.js';
import { pixelCnnField } from './field.js';
import { initPixelCnn, pixelCnnForward, pixelCnnLayers, pixelCnnShapes, pixelCnnTrainingNll } from './network.js';
import { PixelCnnSpecCodec, pixelCnnPresets, pixelCnnRules, type PixelCnnSpec } from './spec.js';

export type { PixelCnnSpec } from './spec.js';
export { pixelCnnLayers, type PixelCnnLayer, type PixelCnnRole } from './network.js';
export { pixelCnnSpecArb, type PixelCnnConstraints } from './arbitrary.js';

/**
 * Useful flops per image of one training step: multiply-adds of the taps a mask lets through, ×2,
 * for the forward pass, the weight gradient and the input gradient of every layer but the first
 * (whose input is data) — about 3× the forward flops.
 */
export const pixelCnnFlops = (spec: PixelCnnSpec): { forward: number; train: number } => {
  const pixels = spec.height * spec.width;
  const macs = pixelCnnLayers(spec).map(({ conv: l }) => usefulWeights(maskTable(l.kh, l.kw, l.type, l.inFeatures, l.outFeatures, l.channels)) * pixels);
  const forward = 2 * macs.reduce((a, b) => a + b, 0);
  return { forward, train: 3 * forward - 2 * macs[0]! };
};

export const pixelCnn: ModelFamily<PixelCnnSpec> = {
  family: 'pixelcnn',
  label: 'PixelCNN',
  published: { source: 'van den Oord, Kalchbrenner, Kavukcuoglu 2016, Pixel Recurrent Neural Networks, Tables 4 and 5', binarizedMnistNats: 81.3, cifar10BitsPerDim: 3.14 },
  summary: '7×7 mask-A convolution, N residual 3×3 mask-B layers, two ReLU + 1×1 mask-B layers',
  codec: PixelCnnSpecCodec,
  rules: pixelCnnRules,
  presets: pixelCnnPresets,
  shapes: pixelCnnShapes,
  init: initPixelCnn,
  forward: pixelCnnForward,
  trainingNll: pixelCnnTrainingNll,
  cachedSampler: cachedPixelCnnSampler,
  referenceField: pixelCnnField,
  specArb: pixelCnnSpecArb,
  trainingFlops: (s) => pixelCnnFlops(s).train,
};

// The Gated PixelCNN family as one value: spec, presets, network, cached sampler, reference field,
// arbitrary and cost, registered in src/models/registry.ts.

import type { MaskedConvSpec } from '../../layers/maskedConv.js';
import { maskTable, usefulWeights } from '../../masks.js';
import type { ModelFamily } from '../../model.js';
import { gatedPixelCnnSpecArb } from './arbitrary.js';
import { cachedGatedPixelCnnSampler } from './cachedSampler.js';
import { gatedPixelCnnField } from './field.js';
import { gatedLayout, gatedPixelCnnForward, gatedPixelCnnShapes, initGatedPixelCnn } from './network.js';
import { GatedPixelCnnSpecCodec, gatedPixelCnnPresets, gatedPixelCnnRules, type GatedPixelCnnSpec } from './spec.js';

export type { GatedPixelCnnSpec } from './spec.js';
export { gatedLayout, type GatedLayer, type GatedLayout, type VerticalConvSpec } from './network.js';
export { gatedPixelCnnSpecArb, type GatedPixelCnnConstraints } from './arbitrary.js';
export { gatedPixelCnnField } from './field.js';
export { cachedGatedPixelCnnSampler } from './cachedSampler.js';

const useful = (c: MaskedConvSpec): number => usefulWeights(maskTable(c.kh, c.kw, c.type, c.inFeatures, c.outFeatures, c.channels));

/**
 * Useful flops per image of one training step: multiply-adds of the weights that exist (the
 * vertical taps, the horizontal taps and centre groups for both halves f and g, the link, the 1×1
 * layers), ×2, for the forward pass, the weight gradient and the input gradient of every layer but
 * the first layer's two convolutions (whose input is data) — about 3× the forward flops. The gates'
 * elementwise tanh, σ and products are not counted.
 */
export const gatedPixelCnnFlops = (spec: GatedPixelCnnSpec): { forward: number; train: number } => {
  const pixels = spec.height * spec.width;
  const L = gatedLayout(spec);
  const vertical = (l: (typeof L.layers)[number]) => l.vertical.taps * l.vertical.inFeatures * l.vertical.outFeatures;
  const macs = [
    ...L.layers.map((l) => vertical(l) + 2 * useful(l.horizontal) + useful(l.link) + useful(l.out)),
    useful(L.head0),
    useful(L.head1),
  ].reduce((a, b) => a + b, 0);
  const readsData = vertical(L.layers[0]!) + 2 * useful(L.layers[0]!.horizontal);
  const forward = 2 * macs * pixels;
  return { forward, train: 3 * forward - 2 * readsData * pixels };
};

export const gatedPixelCnn: ModelFamily<GatedPixelCnnSpec> = {
  family: 'gated-pixelcnn',
  label: 'Gated PixelCNN',
  published: { source: 'van den Oord et al. 2016 (Conditional Image Generation with PixelCNN Decoders), Table 1', cifar10BitsPerDim: 3.03 },
  summary: 'vertical stack (rows above) feeding a horizontal stack (row to the left), gated tanh ⊙ σ layers, residual and skip connections, two ReLU + 1×1 layers',
  codec: GatedPixelCnnSpecCodec,
  rules: gatedPixelCnnRules,
  presets: gatedPixelCnnPresets,
  shapes: gatedPixelCnnShapes,
  init: initGatedPixelCnn,
  forward: gatedPixelCnnForward,
  cachedSampler: cachedGatedPixelCnnSampler,
  referenceField: gatedPixelCnnField,
  specArb: gatedPixelCnnSpecArb,
  trainingFlops: (s) => gatedPixelCnnFlops(s).train,
};

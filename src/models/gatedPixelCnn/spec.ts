// Gated PixelCNN's spec: codec, the rules a codec cannot express, and presets.

import * as io from 'io-ts';
import { defaultLikelihood } from '../../likelihoods/index.js';
import type { Preset } from '../../model.js';
import { baseSpecFields, Features, OddKernel, PositiveLayerCount, strictType } from '../spec.js';

export const GatedPixelCnnSpecCodec = strictType(
  {
    family: io.literal('gated-pixelcnn'),
    ...baseSpecFields,
    /** p: feature maps of each stack (the gated convolutions compute 2p: p for tanh, p for σ). */
    hidden: Features,
    /** Gated layers in all, the first (mask A, `firstKernel`) included. */
    layers: PositiveLayerCount,
    /** Kernel k of the first layer: its vertical stack reads the ⌊k/2⌋ rows above, k wide; 7 like PixelCNN. */
    firstKernel: OddKernel,
    /** Kernel k of the other layers: vertical (⌊k/2⌋+1)×k, horizontal 1×(⌊k/2⌋+1). */
    kernel: OddKernel,
    /** Features of the first of the two ReLU + 1×1 output layers. */
    headHidden: Features,
  },
  'GatedPixelCnnSpec',
);
export type GatedPixelCnnSpec = io.TypeOf<typeof GatedPixelCnnSpecCodec>;

export const gatedPixelCnnRules = (s: GatedPixelCnnSpec): string[] => [
  ...(s.hidden < s.channels ? [`hidden: expected ≥ channels (${s.channels}), found ${s.hidden}`] : []),
  ...(s.headHidden < s.channels ? [`headHidden: expected ≥ channels (${s.channels}), found ${s.headHidden}`] : []),
  ...(s.firstKernel < 3 ? [`firstKernel: expected an odd integer ≥ 3 (a 1-wide first layer sees no row above), found ${s.firstKernel}`] : []),
];

const gatedPreset =
  (hidden: number, layers: number, firstKernel: number, kernel: number, headHidden: number): Preset<GatedPixelCnnSpec> =>
  (img) => ({
    family: 'gated-pixelcnn',
    height: img.height,
    width: img.width,
    channels: img.channels,
    levels: img.levels,
    likelihood: defaultLikelihood(img.levels),
    hidden,
    layers,
    firstKernel,
    kernel,
    headHidden,
  });

export const gatedPixelCnnPresets = {
  /** For tests: a few thousand weights. */
  tiny: gatedPreset(6, 2, 3, 3, 6),
  /** Small enough to train on a 2-core CPU in minutes: p = 32, 5 gated layers. */
  small: gatedPreset(32, 5, 7, 3, 32),
  /**
   * Sized like the CIFAR-10 models of Table 1: 15 layers of 128 feature maps, a 7×7 first layer and
   * 3×3 layers after it, 1024 head features. The Gated PixelCNN paper does not list its CIFAR-10
   * sizes in the text we could reach; these are the PixelCNN it is compared against in Table 1
   * (van den Oord et al. 2016, Pixel Recurrent Neural Networks: 15 layers, h = 128), so the two
   * presets differ only in the layer.
   */
  paper: gatedPreset(128, 15, 7, 3, 1024),
};

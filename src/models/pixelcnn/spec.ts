// PixelCNN's spec: codec, the rules a codec cannot express, and presets.

import type * as t from 'io-ts';
import { defaultLikelihood } from '../../likelihoods/index.js';
import type { Preset } from '../../model.js';
import { baseSpecFields, Features, LayerCount, OddKernel, strictType } from '../spec.js';
import * as io from 'io-ts';

export const PixelCnnSpecCodec = strictType(
  {
    family: io.literal('pixelcnn'),
    ...baseSpecFields,
    /** h: features in every hidden layer. */
    hidden: Features,
    /** Number of residual k×k mask-B layers after the first, mask-A layer. */
    residualLayers: LayerCount,
    /** Kernel of the first (mask A) layer: 7 in the paper. */
    firstKernel: OddKernel,
    /** Kernel of the residual (mask B) layers: 3 in the paper. */
    kernel: OddKernel,
    /** Features of the first of the two ReLU + 1×1 mask-B output layers. */
    headHidden: Features,
  },
  'PixelCnnSpec',
);
export type PixelCnnSpec = t.TypeOf<typeof PixelCnnSpecCodec>;

export const pixelCnnRules = (s: PixelCnnSpec): string[] => [
  ...(s.hidden < s.channels ? [`hidden: expected ≥ channels (${s.channels}), found ${s.hidden}`] : []),
  ...(s.headHidden < s.channels ? [`headHidden: expected ≥ channels (${s.channels}), found ${s.headHidden}`] : []),
];

const pixelCnnPreset =
  (hidden: number, residualLayers: number, firstKernel: number, headHidden: number): Preset<PixelCnnSpec> =>
  (img) => ({
    family: 'pixelcnn',
    height: img.height,
    width: img.width,
    channels: img.channels,
    levels: img.levels,
    likelihood: defaultLikelihood(img.levels),
    hidden,
    residualLayers,
    firstKernel,
    kernel: 3,
    headHidden,
  });

export const pixelCnnPresets = {
  /** For tests: a few hundred weights. */
  tiny: pixelCnnPreset(6, 1, 3, 6),
  /** Small enough to train on a 2-core CPU in a few minutes. */
  small: pixelCnnPreset(32, 4, 7, 32),
  /** The reference config for training speed (the bench's): h = 64, 6 residual layers. */
  reference: pixelCnnPreset(64, 6, 7, 64),
  /** The paper's CIFAR PixelCNN: 15 layers, h = 128. */
  paper: pixelCnnPreset(128, 13, 7, 1024),
};

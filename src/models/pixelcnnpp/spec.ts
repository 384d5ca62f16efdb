// PixelCNN++'s spec (Salimans, Karpathy, Chen & Kingma 2017; openai/pixel-cnn train.py flags):
// codec, the rules a codec cannot express, and presets.

import * as io from 'io-ts';
import type { LikelihoodSpec } from '../../likelihoods/index.js';
import type { ImageShape, Preset } from '../../model.js';
import { baseSpecFields, Features, intCodec, strictType } from '../spec.js';

/** The family's name in specs, manifests and on the command line. */
export const PIXELCNNPP = 'pixelcnn++';

/** A dropout probability: a number in [0, 1). */
export const DropoutRate = new io.Type<number, number, unknown>(
  'number in [0, 1)',
  (u): u is number => typeof u === 'number' && u >= 0 && u < 1,
  (u, c) => (typeof u === 'number' && u >= 0 && u < 1 ? io.success(u) : io.failure(u, c)),
  io.identity,
);

export const PixelCnnPpSpecCodec = strictType(
  {
    family: io.literal(PIXELCNNPP),
    ...baseSpecFields,
    /** nr_resnet: gated ResNet blocks per stage and stream (the paper: 5). */
    nrResnet: intCodec('integer in 1..64', (n) => n >= 1 && n <= 64),
    /** nr_filters: feature maps of both streams at every resolution (the paper: 160). */
    nrFilters: Features,
    /** dropout_p: dropout inside every gated ResNet block, while training only (the paper: 0.5). */
    dropout: DropoutRate,
  },
  'PixelCnnPpSpec',
);
export type PixelCnnPpSpec = io.TypeOf<typeof PixelCnnPpSpecCodec>;

/**
 * The network sees only the strict past of a pixel (the pixels before it, every channel); the
 * dependence of channel c on channels < c of its own pixel is the likelihood's — the logistic
 * mixture's linear coefficients (α, β, γ). So three channels need that likelihood: a softmax per
 * channel would leave G blind to R.
 */
export const pixelCnnPpRules = (s: PixelCnnPpSpec): string[] =>
  s.channels === 3 && s.likelihood.kind !== 'logistic-mixture'
    ? [
        `likelihood.kind: expected 'logistic-mixture' for 3 channels (PixelCNN++'s network sees only the pixels before each pixel; G's dependence on R and B's on R and G come from the mixture's coefficients), found '${s.likelihood.kind}'`,
      ]
    : [];

/** The presets' likelihood: Bernoulli for binary grey images, else a logistic mixture of `components`. */
export const pixelCnnPpLikelihood = (levels: number, channels: number, components: number): LikelihoodSpec =>
  levels === 2 && channels === 1 ? { kind: 'bernoulli' } : { kind: 'logistic-mixture', components };

const preset =
  (nrResnet: number, nrFilters: number, components: number, dropout: number): Preset<PixelCnnPpSpec> =>
  (img: ImageShape & { readonly channels: 1 | 3 }) => ({
    family: PIXELCNNPP,
    height: img.height,
    width: img.width,
    channels: img.channels,
    levels: img.levels,
    likelihood: pixelCnnPpLikelihood(img.levels, img.channels, components),
    nrResnet,
    nrFilters,
    dropout,
  });

export const pixelCnnPpPresets = {
  /** For tests (8×8 and smaller): one block per stage, 16 filters, 2 components, no dropout. */
  tiny: preset(1, 16, 2, 0),
  /**
   * A 2-core CPU in minutes (32×32×3 CIFAR-10, 28×28×1 MNIST): 2 blocks per stage, 32 filters,
   * 5 components. No dropout: a CPU budget of minutes underfits, and dropout (the paper's 0.5
   * against CIFAR-10 overfitting over days) only slows it; --dropout sets it.
   */
  small: preset(2, 32, 5, 0),
  /** The paper's CIFAR-10 model: nr_resnet 5, nr_filters 160, nr_logistic_mix 10, dropout 0.5. */
  paper: preset(5, 160, 10, 0.5),
};

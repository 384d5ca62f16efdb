// A likelihood is a value (as openai/pixel-cnn's nn.py keeps `discretized_mix_logistic_loss` and
// `sample_from_discretized_mix_logistic` side by side): what a model's head must produce, −log p(x)
// from it, the full distribution where asked, and a seeded draw. Training, evaluation, sampling, the
// cached samplers and the property library go through this interface only.
//
// Layout of the head: [B, H, W, C·F] — F features per channel, channel c's block at [c·F, (c+1)·F),
// so that a masked head computes block c in channel group c. The distribution of channel c at a pixel
// may read the blocks ≤ c of that pixel and the values of channels < c of that pixel (e.g. the R→G→B
// coupling of a logistic mixture) — nothing else.

import type { ImageShape } from '../model.js';
import type { Rng } from '../rng.js';
import type { Tensor1D, Tensor4D, Tensor5D } from '../tf.js';

/** One drawn value and its model probability at temperature 1. */
export interface Draw {
  readonly value: number;
  readonly probability: number;
}

export interface Likelihood {
  /** The spec's name for it, e.g. 'categorical'. */
  readonly kind: string;
  /** F: head features per channel; the head has C·F features per pixel. */
  readonly featuresPerChannel: number;
  /** What `temperature` does to a draw, in one sentence (CLI help, docs). */
  readonly temperatureMeaning: string;
  /** −log p(x) per image in nats from head [B, H, W, C·F] and x [B, H, W, C] (levels). [B] */
  nll(head: Tensor4D, x: Tensor4D): Tensor1D;
  /**
   * log p(x_c = k | head, x's channels < c at the pixel) for every level k: [B, H, W, C, K].
   * For the property laws and tests; training and evaluation use `nll`.
   */
  logProbs(head: Tensor4D, x: Tensor4D): Tensor5D;
  /**
   * Draw channel c of one pixel of one image: its head features are head[offset .. offset + C·F),
   * the values of its channels < c are pixel[pixelOffset + 0 .. c). Uses a fixed number of uniforms
   * from `rng` per call (one for a softmax or a Bernoulli), whatever the temperature and the values,
   * so streams stay aligned across temperatures.
   */
  draw(
    head: ArrayLike<number>,
    offset: number,
    channel: number,
    pixel: ArrayLike<number>,
    pixelOffset: number,
    temperature: number,
    rng: Rng,
  ): Draw;
}

/** How a spec names its likelihood (a plain JSON value in every manifest). */
export interface LikelihoodSpec {
  readonly kind: string;
  readonly [option: string]: unknown;
}

/** A kind of likelihood: its spec's rules for an image shape, and the value it makes. */
export interface LikelihoodKind {
  readonly kind: string;
  /** One line for help texts. */
  readonly summary: string;
  /** What is wrong with `spec` for images of `shape` ([] when nothing), field names included. */
  check(spec: LikelihoodSpec, shape: ImageShape): string[];
  make(spec: LikelihoodSpec, shape: ImageShape): Likelihood;
}

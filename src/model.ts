// The one interface that ties every model family to training, evaluation, sampling and the
// property library.

import type { ConvImpl } from './layers/maskedConv.js';
import type { NamedTensors, Tensor4D, Tensor5D } from './tf.js';

/** What every model spec shares: the image it models. */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number; // 1 (grey) or 3 (R, G, B)
  readonly levels: number; // K: values per channel are 0..K-1
}

export interface BaseSpec extends ImageShape {
  readonly family: string;
}

export interface ForwardOptions {
  readonly convImpl: ConvImpl;
  /**
   * Let gradients flow into the input x (the property library differentiates logits w.r.t. x).
   * Default false: x is data, and a model may skip computing its gradient.
   */
  readonly inputGradient?: boolean;
}

/**
 * An autoregressive image model: x [B, H, W, C] holding integer levels 0..K-1 (as float32) maps to
 * logits [B, H, W, C, K]. The logits at (i, j, c) may depend on every channel of pixels before
 * (i, j) in raster order and on channels < c of (i, j) — nothing else.
 */
export interface AutoregressiveModel<S extends BaseSpec = BaseSpec> {
  readonly spec: S;
  readonly params: NamedTensors;
  logits(x: Tensor4D): Tensor5D;
}

/** A family of models: how to make, shape and run one from its spec. Pure in (spec, params). */
export interface ModelFamily<S extends BaseSpec = BaseSpec> {
  readonly family: S['family'];
  /** Expected shape of every parameter, by name. */
  shapes(spec: S): Record<string, number[]>;
  /** Fresh parameters, deterministic in the seed. */
  init(spec: S, seed: number): NamedTensors;
  forward(spec: S, params: NamedTensors, x: Tensor4D, options: ForwardOptions): Tensor5D;
}

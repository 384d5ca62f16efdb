// The one interface that ties every model family to training, evaluation, sampling and the
// property library, and the value a family is.

import type fc from 'fast-check';
import type * as t from 'io-ts';
import type { ConvImpl } from './layers/maskedConv.js';
import type { Likelihood, LikelihoodSpec } from './likelihoods/types.js';
import type { Dependence } from './receptiveField.js';
import type { IncrementalSampler, SamplingOrder } from './sampling/types.js';
import type { ShapeConstraints } from './shapeArb.js';
import { tf, type NamedTensors, type Tensor1D, type Tensor4D, type Tensor5D } from './tf.js';

/** What every model spec shares: the image it models. */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number; // 1 (grey) or 3 (R, G, B)
  readonly levels: number; // K: values per channel are 0..K-1
}

export interface BaseSpec extends ImageShape {
  readonly family: string;
  /** The likelihood the head parameterises, e.g. { kind: 'categorical' }. */
  readonly likelihood: LikelihoodSpec;
  /** Class-conditional: the number of classes whose label biases every layer; absent: unconditional. */
  readonly classes?: number;
}

/** Labels of a batch, one class per image, as int32 [B]; needed exactly when the spec has `classes`. */
export type Labels = Tensor1D;

export interface ForwardOptions {
  readonly convImpl: ConvImpl;
  /**
   * Let gradients flow into the input x (the property library differentiates through x).
   * Default false: x is data, and a model may skip computing its gradient.
   */
  readonly inputGradient?: boolean;
  /**
   * Training: what stochastic layers (dropout) draw from. Absent — evaluation, sampling, the property
   * laws — a model is deterministic. Masks are pure functions of (seed, step, image position in the
   * batch), so a batch split across workers and a resumed run draw the very masks one process would.
   */
  readonly training?: TrainingDraw;
}

/** The key of a training step's random draws: image b of this call is image `first + b` of step `step`'s batch. */
export interface TrainingDraw {
  readonly seed: number;
  readonly step: number;
  readonly first: number;
}

/**
 * An autoregressive image model: x [B, H, W, C] holding integer levels 0..K-1 (as float32) maps to
 * its head [B, H, W, C·F], which `likelihood` reads (F features per channel, channel c's block at
 * [c·F, (c+1)·F)). The distribution of value (i, j, c) may depend on the values before it in the
 * family's order (raster order, R → G → B within a pixel, for most) — nothing else.
 */
export interface AutoregressiveModel<S extends BaseSpec = BaseSpec> {
  readonly spec: S;
  readonly params: NamedTensors;
  readonly likelihood: Likelihood;
  /** The head of images x; `labels` [B] int32 when the spec is class-conditional. */
  forward(x: Tensor4D, labels?: Labels): Tensor4D;
}

/** −log p(x) per image in nats (given the labels, for a class-conditional model). [B] */
export const nllOf = (model: AutoregressiveModel, x: Tensor4D, labels?: Labels): Tensor1D =>
  tf.tidy(() => model.likelihood.nll(model.forward(x, labels), x));

/** log p of every level at every value given what came before. [B, H, W, C, K] */
export const logProbsOf = (model: AutoregressiveModel, x: Tensor4D, labels?: Labels): Tensor5D =>
  tf.tidy(() => model.likelihood.logProbs(model.forward(x, labels), x));

/** A preset: a spec for an image shape (and the likelihood the presets choose for it). */
export type Preset<S extends BaseSpec = BaseSpec> = (shape: ImageShape & { readonly channels: 1 | 3 }) => S;

/**
 * A model family, everything it is in one value (src/models/<family>/): registered once in
 * src/models/registry.ts, read by training, sampling, the CLI, the bench and the property library.
 * Pure in (spec, params).
 */
/** What the family's paper reports, for the quality bench to print beside ours. */
export interface PublishedFigures {
  /** Where the figures come from. */
  readonly source: string;
  /** Binarized MNIST test NLL, nats per image. */
  readonly binarizedMnistNats?: number;
  /** CIFAR-10 test bits per dimension. */
  readonly cifar10BitsPerDim?: number;
}

export interface ModelFamily<S extends BaseSpec = BaseSpec> {
  readonly family: S['family'];
  /** Its name in tables, e.g. 'Row LSTM'. */
  readonly label: string;
  /** One line for help texts. */
  readonly summary: string;
  /** The paper's figures, when it has some. */
  readonly published?: PublishedFigures;
  /** Decodes the whole spec (image shape, likelihood and the family's fields); exact: no unknown keys. */
  readonly codec: t.Type<S, unknown, unknown>;
  /** Rules a codec cannot express ([] when none is broken), each naming its field. */
  rules?(spec: S): string[];
  /** Named sizes; `tiny` (tests) and `small` (a CPU in minutes) at least. */
  readonly presets: Readonly<Record<string, Preset<S>>>;
  /** Expected shape of every parameter, by name. */
  shapes(spec: S): Record<string, number[]>;
  /** Fresh parameters, deterministic in the seed. */
  init(spec: S, seed: number): NamedTensors;
  /** The head [B, H, W, C·F] of images x [B, H, W, C] (and their labels, when spec.classes is set). */
  forward(spec: S, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor4D;
  /**
   * A training step's −log p(x) per image [B] where the family computes it faster than forward and
   * then the likelihood (e.g. the last layer fused with its cross-entropy); null where it does not
   * (then the step does that). Must equal likelihood.nll(forward(…)) up to float rounding, gradients included.
   */
  trainingNll?(spec: S, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor1D | null;
  /** The order values are sampled in; raster order with R → G → B when absent. */
  order?(spec: S): SamplingOrder;
  /** An incremental sampler that computes only what each new value changes; the naive rerun when absent. */
  cachedSampler?(model: AutoregressiveModel<S>, batch: number, labels?: Int32Array): IncrementalSampler;
  /** The receptive field the architecture promises, computed apart from the model code (props' full-past law). */
  referenceField?(spec: S): Dependence;
  /** Small specs of this family for the property laws. */
  specArb?(constraints?: ShapeConstraints): fc.Arbitrary<S>;
  /** −log p(x) per image split into the parts the paper reports (nats, [B] each), for the quality bench. */
  nllParts?(spec: S, params: NamedTensors, x: Tensor4D): Record<string, Tensor1D>;
  /** Floating-point operations of one training step per image (forward and backward), for the bench. */
  trainingFlops?(spec: S): number;
}

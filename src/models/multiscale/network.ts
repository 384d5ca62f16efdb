// Multi-Scale PixelRNN (van den Oord et al. 2016, §3.5).
//
//   small = subsample(x)                 every factor-th pixel of every factor-th row    [B, s, s', C]
//   p(small)                             an unconditional PixelRNN over the s×s' image  ('small.' weights)
//   condition = deconv(small)            3×3 conv at s×s' (sees neighbouring small pixels, also those
//                                        below and right), ReLU, f×f stride-f deconvolution, ReLU
//                                                                                        [B, n, m, c]
//   p(x | small)                         a PixelRNN over the n×m image whose every layer's input-to-state
//                                        gates get a 1×1 unmasked conv of `condition`   ('large.' weights)
//
// Design. Because small is a function of x (its pixels ARE pixels of x), the model is an exact
// autoregressive model over x in a different order: first the small positions in raster order, then
// every other position in raster order, given all of small:
//
//   −log p(x) = −log p_small(small) − Σ_{(i,j) not a small position} log p(x_ij | small, x_<ij)
//
// The family's forward returns, at each small position, the small network's head and, everywhere
// else, the conditional network's — so the likelihood's NLL and the train step compute exactly this
// NLL of the n×m image (nats; bits/dim over n·m·C), and one train step trains both networks. The
// conditional network's own head at small positions is never used (the value is already known).
//
// What this means for the property laws and sampling: the combined model is causal in the family's
// own order (order.ts: small positions first, then the rest in raster order), not in raster order;
// the laws read that order from the family. Its two parts are also ordinary AutoregressiveModels:
// `smallModel` (unconditional, s×s') and `conditionalModel(small)` (the n×m network for a fixed small
// image, causal in raster order), which the cached sampler (cachedSampler.ts) runs one after the other.

import { classesOf, labelMap } from '../../conditioning.js';
import { pointwise } from '../../layers/lstm.js';
import { defaultConvImpl } from '../../layers/maskedConv.js';
import { likelihoodFor } from '../../likelihoods/index.js';
import type { AutoregressiveModel, ForwardOptions, Labels } from '../../model.js';
import { Rng } from '../../rng.js';
import { tf, type NamedTensors, type Tensor1D, type Tensor2D, type Tensor4D } from '../../tf.js';
import { initPixelRnn, pixelRnnForward, pixelRnnShapes, toUnit, withImage, type RecurrentSpec } from '../pixelrnn/network.js';
import type { MultiscaleSpec } from './spec.js';

/** The unconditional network's spec: the s×s' image. */
export const smallSpecOf = (s: MultiscaleSpec): RecurrentSpec =>
  withImage({ height: s.height / s.factor, width: s.width / s.factor, channels: s.channels, levels: s.levels, likelihood: s.likelihood }, s.small);

/** The conditional network's spec: the n×m image. */
export const largeSpecOf = (s: MultiscaleSpec): RecurrentSpec =>
  withImage({ height: s.height, width: s.width, channels: s.channels, levels: s.levels, likelihood: s.likelihood }, s.large);

/** Every factor-th pixel of every factor-th row, starting at (0, 0): [B, n, m, C] → [B, n/f, m/f, C]. */
export const subsample = (x: Tensor4D, factor: number): Tensor4D =>
  tf.tidy(() => {
    const [b, n, m, c] = x.shape;
    const [s, s2] = [n / factor, m / factor];
    const rows = tf.slice(tf.reshape(x, [b * s, factor, m, c]), [0, 0, 0, 0], [b * s, 1, m, c]); // [B·s, 1, m, C]
    const cols = tf.slice(tf.reshape(rows, [b * s, s2, factor, c]), [0, 0, 0, 0], [b * s, s2, 1, c]); // [B·s, s', 1, C]
    return tf.reshape(cols, [b, s, s2, c]) as Tensor4D; //                            [B, s, s', C]
  });

/** 1 at the small positions (f·i, f·j), 0 elsewhere: [1, n, m, 1]. */
const smallPositions = (n: number, m: number, f: number): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: n * m }, (_, k) => (Math.floor(k / m) % f === 0 && (k % m) % f === 0 ? 1 : 0)),
    [1, n, m, 1],
  );

/** Put [B, s, s', P] at the small positions of a zero [B, n, m, P] (pad/reshape only). */
const placeSmall = (hs: Tensor4D, factor: number): Tensor4D => {
  const [b, s, s2, p] = hs.shape;
  const m = s2 * factor;
  const inRow = tf.pad(tf.reshape(hs, [b * s, s2, 1, p]), [[0, 0], [0, 0], [0, factor - 1], [0, 0]]); //   [B·s, s', f, P]
  const rows = tf.pad(tf.reshape(inRow, [b * s, 1, m, p]), [[0, 0], [0, factor - 1], [0, 0], [0, 0]]); //  [B·s, f, m, P]
  return tf.reshape(rows, [b, s * factor, m, p]) as Tensor4D; //                                          [B, n, m, P]
};

const upName = (w: 'w' | 'b') => `large.up.${w}`;
const smoothName = (w: 'w' | 'b') => `large.up0.${w}`;

/** Unmasked 3×3 'same' convolution by tap gathering: [B, H, W, in] × [9·in, out] → [B, H, W, out]. */
const conv3x3 = (x: Tensor4D, w: Tensor2D, bias: tf.Tensor): Tensor4D => {
  const [b, h, wd, cin] = x.shape;
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]); //                  [B, H+2, W+2, in]
  const taps = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) taps.push(tf.slice(padded, [0, dy, dx, 0], [b, h, wd, cin]));
  return tf.add(pointwise(tf.concat(taps, 3) as Tensor4D, w), bias) as Tensor4D; // [B, H, W, out]
};

/**
 * The conditioning map: small [B, s, s', C] → 3×3 conv (c features), ReLU → f×f stride-f
 * deconvolution, ReLU → [B, n, m, c]. The bias at a large pixel sees the small pixels of its own and
 * the neighbouring blocks, including those below and to the right: the future's coarse layout.
 */
export const conditionMap = (spec: MultiscaleSpec, params: NamedTensors, small: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const f = spec.factor;
    const c = spec.conditionFeatures;
    const [b, s, s2] = small.shape;
    const smooth = tf.relu(
      conv3x3(toUnit(small, spec.levels), params[smoothName('w')] as Tensor2D, params[smoothName('b')]!),
    ) as Tensor4D; //                                                                      [B, s, s', c]
    const cells = pointwise(smooth, params[upName('w')] as Tensor2D); //                   [B, s, s', f·f·c] (a, b, c)
    const split = tf.reshape(cells, [b * s, s2, f, f * c]); //                              [B·s, s', f, f·c]
    const ordered = tf.transpose(split, [0, 2, 1, 3]); //                                   [B·s, f, s', f·c]
    const up = tf.reshape(ordered, [b, s * f, s2 * f, c]); //                               [B, n, m, c]
    return tf.relu(tf.add(up, params[upName('b')]!)) as Tensor4D;
  });

/** Head of the s×s' network (given only the label, when class-conditional). [B, s, s', C·F] */
export const smallHead = (spec: MultiscaleSpec, params: NamedTensors, small: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor4D =>
  tf.tidy(() => {
    const [, s, s2] = small.shape;
    const condition = labels ? labelMap(labels, classesOf(spec), s, s2) : undefined; //  [B, s, s', classes]
    return pixelRnnForward(smallSpecOf(spec), params, small, options, 'small.', condition);
  });

/** The large network's condition: the upsampled small image, and the one-hot label when conditional. [B, n, m, c (+ classes)] */
export const largeCondition = (spec: MultiscaleSpec, params: NamedTensors, small: Tensor4D, batch: number, labels?: Labels): Tensor4D =>
  tf.tidy(() => {
    let condition = conditionMap(spec, params, small); //                            [B or 1, n, m, c]
    if (condition.shape[0] !== batch)
      condition = tf.broadcastTo(condition, [batch, ...condition.shape.slice(1)] as [number, number, number, number]);
    if (!labels) return condition; //                                                 [B, n, m, c]
    return tf.concat([condition, labelMap(labels, classesOf(spec), spec.height, spec.width)], 3) as Tensor4D; // [B, n, m, c + classes]
  });

/** Head of the n×m network given the small image (batch B, or 1 broadcast over x's batch). [B, n, m, C·F] */
export const conditionalHead = (
  spec: MultiscaleSpec,
  params: NamedTensors,
  x: Tensor4D,
  small: Tensor4D,
  options: ForwardOptions,
  labels?: Labels,
): Tensor4D =>
  tf.tidy(() => {
    const condition = largeCondition(spec, params, small, x.shape[0], labels); //   [B, n, m, c (+ classes)]
    return pixelRnnForward(largeSpecOf(spec), params, x, options, 'large.', condition);
  });

/** Combined head of x: small network at the small positions, conditional network elsewhere. [B, n, m, C·F] */
export const combinedHead = (spec: MultiscaleSpec, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor4D =>
  tf.tidy(() => {
    const small = subsample(x, spec.factor); //                                      [B, s, s', C]
    const hs = smallHead(spec, params, small, options, labels); //                   [B, s, s', C·F]
    const hc = conditionalHead(spec, params, x, small, options, labels); //           [B, n, m, C·F]
    const at = smallPositions(spec.height, spec.width, spec.factor); //              [1, n, m, 1]
    return tf.add(placeSmall(hs, spec.factor), tf.mul(hc, tf.sub(1, at))) as Tensor4D; // [B, n, m, C·F]
  });

export const multiscaleShapes = (s: MultiscaleSpec): Record<string, number[]> => ({
    ...pixelRnnShapes(smallSpecOf(s), 'small.', classesOf(s)),
    ...pixelRnnShapes(largeSpecOf(s), 'large.', s.conditionFeatures + classesOf(s)),
    [smoothName('w')]: [9 * s.channels, s.conditionFeatures],
    [smoothName('b')]: [s.conditionFeatures],
    [upName('w')]: [s.conditionFeatures, s.factor * s.factor * s.conditionFeatures],
    [upName('b')]: [s.conditionFeatures],
});

export const initMultiscale = (s: MultiscaleSpec, seed: number): NamedTensors => {
    const up = Rng.fromSeed(seed, 4);
    const normal = (rows: number, cols: number) =>
      tf.tensor2d(Float32Array.from({ length: rows * cols }, () => up.normal() * Math.sqrt(2 / rows)), [rows, cols]);
    const c = s.conditionFeatures;
    return {
      ...initPixelRnn(smallSpecOf(s), Rng.fromSeed(seed, 2), 'small.', classesOf(s)),
      ...initPixelRnn(largeSpecOf(s), Rng.fromSeed(seed, 3), 'large.', s.conditionFeatures + classesOf(s)),
      [smoothName('w')]: normal(9 * s.channels, c),
      [smoothName('b')]: tf.zeros([c]),
      [upName('w')]: normal(c, s.factor * s.factor * c),
      [upName('b')]: tf.zeros([c]),
    };
};

/** NLL per image in nats, split as the paper reports it: −log p(small) and −log p(rest of x | small). */
export const multiscaleNll = (
  spec: MultiscaleSpec,
  params: NamedTensors,
  x: Tensor4D,
  options: ForwardOptions = { convImpl: defaultConvImpl() },
  labels?: Labels,
): { small: Tensor1D; conditional: Tensor1D; total: Tensor1D } => {
  const [small, conditional] = tf.tidy(() => {
    const head = combinedHead(spec, params, x, options, labels); //                  [B, n, m, C·F]
    const logProbs = likelihoodFor(spec.likelihood, spec).logProbs(head, x); //     [B, n, m, C, K]
    const target = tf.oneHot(tf.cast(x, 'int32'), spec.levels); //                   [B, n, m, C, K]
    const perValue = tf.neg(tf.sum(tf.mul(logProbs, target), 4)); //                [B, n, m, C]
    const at = smallPositions(spec.height, spec.width, spec.factor); //              [1, n, m, 1]
    const small = tf.sum(tf.mul(perValue, at), [1, 2, 3]) as Tensor1D; //           [B]
    const rest = tf.sum(tf.mul(perValue, tf.sub(1, at)), [1, 2, 3]) as Tensor1D; // [B]
    return [small, rest];
  });
  return { small, conditional, total: tf.tidy(() => tf.add(small, conditional) as Tensor1D) };
};

/** The unconditional s×s' network as an AutoregressiveModel (for the property laws and sampling). */
export const smallModel = (
  spec: MultiscaleSpec,
  params: NamedTensors,
  options: ForwardOptions = { convImpl: defaultConvImpl() },
): AutoregressiveModel<RecurrentSpec> => ({
  spec: smallSpecOf(spec),
  params,
  likelihood: likelihoodFor(spec.likelihood, spec),
  forward: (x, labels) => smallHead(spec, params, x, options, labels),
});

/**
 * The n×m network for a fixed small image [1 or B, s, s', C] as an AutoregressiveModel: causal in
 * raster order over x (the small image is a constant here). Its spec is the large network's spec.
 */
export const conditionalModel = (
  spec: MultiscaleSpec,
  params: NamedTensors,
  small: Tensor4D,
  options: ForwardOptions = { convImpl: defaultConvImpl() },
): AutoregressiveModel<RecurrentSpec> => ({
  spec: largeSpecOf(spec),
  params,
  likelihood: likelihoodFor(spec.likelihood, spec),
  forward: (x, labels) => conditionalHead(spec, params, x, small, options, labels),
});

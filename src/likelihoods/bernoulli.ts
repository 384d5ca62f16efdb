// Bernoulli likelihood for binary images (K = 2): one logit ℓ per channel, p(1) = σ(ℓ).
// Head block of channel c: ℓ.

import type { ImageShape } from '../model.js';
import type { Rng } from '../rng.js';
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Tensor5D } from '../tf.js';
import type { Draw, Likelihood, LikelihoodKind } from './types.js';

/**
 * −log p(x) per image in nats: Σ softplus(ℓ) − x·ℓ over H·W·C, computed stably as
 * max(ℓ, 0) − x·ℓ + log(1 + exp(−|ℓ|)). Gradient σ(ℓ) − x. [B]
 */
const sigmoidCrossEntropy: (head: Tensor4D, x: Tensor4D) => Tensor1D = tf.customGrad(((
  head: Tensor4D,
  x: Tensor4D,
  save: tf.GradSaveFunc,
) => {
  const b = head.shape[0];
  const perValue = tf.add(tf.sub(tf.relu(head), tf.mul(x, head)), tf.log1p(tf.exp(tf.neg(tf.abs(head))))); // [B, H, W, C]
  save([head, x]);
  return {
    value: tf.sum(tf.reshape(perValue, [b, -1]), 1), //                                                     [B]
    gradFunc: (dy: Tensor1D, saved: Tensor[]) => {
      const [l, sx] = saved as [Tensor4D, Tensor4D];
      const g = tf.mul(tf.sub(tf.sigmoid(l), sx), tf.reshape(dy, [b, 1, 1, 1])); //                          [B, H, W, C]
      return [g, tf.zerosLike(sx)];
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
}) as any) as unknown as (head: Tensor4D, x: Tensor4D) => Tensor1D;

/** 0 when u < p(0) at the temperature, σ(−ℓ/T), else 1: the draw the softmax pair [0, ℓ] gives. */
const drawBit = (l: number, temperature: number, rng: Rng): Draw => {
  const p1 = 1 / (1 + Math.exp(-l)); //   temperature-1 probability of 1
  const u = rng.uniform();
  if (!(temperature > 0)) {
    const value = l > 0 ? 1 : 0; //        the most likely value, 0 on a tie
    return { value, probability: value ? p1 : 1 - p1 };
  }
  const p0t = 1 / (1 + Math.exp(l / temperature)); // probability of 0 at the temperature
  const value = u < p0t ? 0 : 1;
  return { value, probability: value ? p1 : 1 - p1 };
};

export const bernoulli = (shape: Pick<ImageShape, 'channels'>): Likelihood => {
  const C = shape.channels;
  return {
    kind: 'bernoulli',
    featuresPerChannel: 1,
    temperatureMeaning: 'the logit is divided by the temperature; 0 takes the more likely value',
    nll: (head, x) => sigmoidCrossEntropy(head, x),
    logProbs: (head) =>
      tf.tidy(() => {
        const [b, h, w] = head.shape;
        const l = tf.reshape(head, [b, h, w, C, 1]); //                                      [B, H, W, C, 1]
        return tf.concat([tf.neg(tf.softplus(l)), tf.neg(tf.softplus(tf.neg(l)))], 4) as Tensor5D; // [B, H, W, C, 2]
      }),
    draw: (head, offset, c, _pixel, _at, temperature, rng) => drawBit(head[offset + c]!, temperature, rng),
  };
};

export const bernoulliKind: LikelihoodKind = {
  kind: 'bernoulli',
  summary: 'one sigmoid logit per channel, for binary images (levels = 2)',
  check: (spec, shape) => [
    ...(shape.levels !== 2 ? [`likelihood: 'bernoulli' needs levels = 2, found levels = ${shape.levels}`] : []),
    ...Object.keys(spec)
      .filter((k) => k !== 'kind')
      .slice(0, 1)
      .map((k) => `likelihood.${k}: 'bernoulli' takes no options`),
  ],
  make: (_spec, shape) => bernoulli(shape),
};

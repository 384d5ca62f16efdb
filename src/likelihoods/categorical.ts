// Categorical likelihood: a softmax over the K levels of every channel (the PixelRNN paper's 256-way
// softmax). Head block of channel c: its K logits.

import { fusedNllPerImage } from '../kernels/crossEntropy.js';
import type { ImageShape } from '../model.js';
import type { Rng } from '../rng.js';
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Tensor5D } from '../tf.js';
import type { Draw, Likelihood, LikelihoodKind } from './types.js';

/**
 * −log p(x) per image in nats from logits [B, H, W, C, K]: the sum over H·W·C of the softmax
 * cross-entropy. [B]
 *
 * Computed without a one-hot in the forward pass and without log-softmax (whose exp is scalar on
 * wasm): with m = max z and p = softmax(z) (one vectorised kernel), log Σ exp z = m − log max p
 * exactly, and max p ≥ 1/K never underflows; so −log p_x = m − log(max p) − z_x, with z_x gathered.
 * The gradient is (p − onehot(x)) times the upstream gradient of the image.
 */
export const softmaxCrossEntropy: (logits: Tensor5D, x: Tensor4D) => Tensor1D = tf.customGrad(((
  logits: Tensor5D,
  x: Tensor4D,
  save: tf.GradSaveFunc,
) => {
  const [b, h, w, c, levels] = logits.shape;
  const n = b * h * w * c;
  const z = tf.reshape(logits, [n, levels]) as tf.Tensor2D; //                                           [N, K]
  const p = tf.softmax(z); //                                                                              [N, K]
  const target = tf.cast(tf.reshape(x, [n]), 'int32'); //                                                 [N]
  const index = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(levels, 'int32')), target); //      [N]
  const zx = tf.gather(tf.reshape(z, [n * levels]), index); //                                            [N]
  const logNormaliser = tf.sub(tf.max(z, 1), tf.log(tf.max(p, 1))); //                                    [N]  log Σ exp z
  const nll = tf.sum(tf.reshape(tf.sub(logNormaliser, zx), [b, h * w * c]), 1); //                        [B]
  save([p, target]);
  return {
    value: nll,
    gradFunc: (dy: Tensor1D, saved: Tensor[]) => {
      const [sp, st] = saved as [tf.Tensor2D, tf.Tensor1D];
      const diff = tf.sub(sp, tf.oneHot(st, levels)); //                                                   [N, K]
      const scaled = tf.mul(tf.reshape(diff, [b, h * w * c, levels]), tf.reshape(dy, [b, 1, 1]));
      return [tf.reshape(scaled, logits.shape), tf.zerosLike(x)];
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
}) as any) as unknown as (logits: Tensor5D, x: Tensor4D) => Tensor1D;

let scratch = new Float64Array(256);

/**
 * Draw a level from logits[offset .. offset+K) divided by `temperature` (0: the most likely level,
 * first on ties), with one uniform from `rng`.
 */
export const drawFromLogits = (logits: ArrayLike<number>, offset: number, levels: number, temperature: number, rng: Rng): Draw => {
  if (scratch.length < levels) scratch = new Float64Array(levels);
  const e = scratch;
  let max = -Infinity;
  let arg = 0;
  for (let k = 0; k < levels; k++) {
    const v = logits[offset + k]!;
    if (v > max) {
      max = v;
      arg = k;
    }
  }
  let z1 = 0; // Σ exp(l − max): the temperature-1 normaliser
  for (let k = 0; k < levels; k++) {
    const x = Math.exp(logits[offset + k]! - max);
    e[k] = x;
    z1 += x;
  }
  const u = rng.uniform();
  if (!(temperature > 0)) return { value: arg, probability: Math.exp(logits[offset + arg]! - max) / z1 };
  let zt = z1;
  if (temperature !== 1) {
    zt = 0;
    for (let k = 0; k < levels; k++) zt += e[k] = Math.exp((logits[offset + k]! - max) / temperature);
  }
  let r = u * zt;
  let k = 0;
  for (; k < levels - 1; k++) {
    r -= e[k]!;
    if (r < 0) break;
  }
  return { value: k, probability: Math.exp(logits[offset + k]! - max) / z1 }; // the temperature-1 probability
};

/** Head [B, H, W, C·K] as logits [B, H, W, C, K]. */
const asLogits = (head: Tensor4D, channels: number, levels: number): Tensor5D => {
  const [b, h, w] = head.shape;
  return tf.reshape(head, [b, h, w, channels, levels]) as Tensor5D;
};

export const categorical = (shape: Pick<ImageShape, 'channels' | 'levels'>): Likelihood => {
  const { channels: C, levels: K } = shape;
  return {
    kind: 'categorical',
    featuresPerChannel: K,
    temperatureMeaning: 'logits are divided by the temperature before the softmax; 0 takes the most likely level',
    nll: (head, x) =>
      tf.tidy(() => {
        const logits = asLogits(head, C, K); //                                                 [B, H, W, C, K]
        return fusedNllPerImage(logits, x) ?? softmaxCrossEntropy(logits, x); // the wasm kernel (kernels/crossEntropy.ts) where it runs
      }),
    logProbs: (head) => tf.tidy(() => tf.logSoftmax(asLogits(head, C, K)) as Tensor5D),
    draw: (head, offset, c, _pixel, _at, temperature, rng) => drawFromLogits(head, offset + c * K, K, temperature, rng),
  };
};

export const categoricalKind: LikelihoodKind = {
  kind: 'categorical',
  summary: 'softmax over the K levels of every channel (PixelRNN, PixelCNN)',
  check: (spec) => {
    const extra = Object.keys(spec).filter((k) => k !== 'kind');
    return extra.length ? [`likelihood.${extra[0]}: 'categorical' takes no options`] : [];
  },
  make: (_spec, shape) => categorical(shape),
};

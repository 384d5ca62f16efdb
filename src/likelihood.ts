// Categorical likelihood over K levels per channel: NLL in nats per image and bits per dimension.

import { fusedNllPerImage } from './kernels/crossEntropy.js';
import type { ImageShape } from './model.js';
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Tensor5D } from './tf.js';

/**
 * −log p(x) per image in nats: the sum over H·W·C of the softmax cross-entropy. [B]
 *
 * Computed without a one-hot in the forward pass and without log-softmax (whose exp is scalar on
 * wasm): with m = max z and p = softmax(z) (one vectorised kernel), log Σ exp z = m − log max p
 * exactly, and max p ≥ 1/K never underflows; so −log p_x = m − log(max p) − z_x, with z_x gathered.
 * The gradient is (p − onehot(x)) times the upstream gradient of the image.
 */
export const nllPerImage = (logits: Tensor5D, x: Tensor4D): Tensor1D => fusedNllPerImage(logits, x) ?? crossEntropy(logits, x); // the wasm kernel (kernels/crossEntropy.ts) where it runs

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const crossEntropy: (logits: Tensor5D, x: Tensor4D) => Tensor1D = tf.customGrad(((logits: Tensor5D, x: Tensor4D, save: tf.GradSaveFunc) => {
  const [b, h, w, c, levels] = logits.shape;
  const n = b * h * w * c;
  const z = tf.reshape(logits, [n, levels]) as tf.Tensor2D; //                            [N, K]
  const p = tf.softmax(z); //                                                               [N, K]
  const target = tf.cast(tf.reshape(x, [n]), 'int32'); //                                  [N]
  const index = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(levels, 'int32')), target); //            [N]
  const zx = tf.gather(tf.reshape(z, [n * levels]), index); //                             [N]
  const logNormaliser = tf.sub(tf.max(z, 1), tf.log(tf.max(p, 1))); //                     [N]  log Σ exp z
  const nll = tf.sum(tf.reshape(tf.sub(logNormaliser, zx), [b, h * w * c]), 1); //         [B]
  save([p, target]);
  return {
    value: nll,
    gradFunc: (dy: Tensor1D, saved: Tensor[]) => {
      const [sp, st] = saved as [tf.Tensor2D, tf.Tensor1D];
      const diff = tf.sub(sp, tf.oneHot(st, levels)); //                                    [N, K]
      const scaled = tf.mul(tf.reshape(diff, [b, h * w * c, levels]), tf.reshape(dy, [b, 1, 1]));
      return [tf.reshape(scaled, logits.shape), tf.zerosLike(x)];
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
}) as any) as unknown as (logits: Tensor5D, x: Tensor4D) => Tensor1D;

/** Mean NLL per image (nats), the training loss. [] */
export const meanNll = (logits: Tensor5D, x: Tensor4D): tf.Scalar => tf.tidy(() => tf.mean(nllPerImage(logits, x)));

export const dimensions = (s: ImageShape): number => s.height * s.width * s.channels;

export const bitsPerDim = (nllNats: number, s: ImageShape): number => nllNats / (dimensions(s) * Math.LN2);

/** log p(value) for every level at one tensor of logits: log-softmax along the last axis. */
export const logProbabilities = (logits: Tensor): Tensor => tf.logSoftmax(logits);

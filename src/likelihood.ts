// Categorical likelihood over K levels per channel: NLL in nats per image and bits per dimension.

import type { ImageShape } from './model.js';
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Tensor5D } from './tf.js';

/** −log p(x) per image in nats: the sum over H·W·C of the softmax cross-entropy. [B] */
export const nllPerImage = (logits: Tensor5D, x: Tensor4D): Tensor1D =>
  tf.tidy(() => {
    const levels = logits.shape[4];
    const logProbs = tf.logSoftmax(logits); //                      [B, H, W, C, K]
    const target = tf.oneHot(tf.cast(x, 'int32'), levels); //      [B, H, W, C, K]
    return tf.neg(tf.sum(tf.mul(logProbs, target), [1, 2, 3, 4])) as Tensor1D; // [B]
  });

/** Mean NLL per image (nats), the training loss. [] */
export const meanNll = (logits: Tensor5D, x: Tensor4D): tf.Scalar => tf.tidy(() => tf.mean(nllPerImage(logits, x)));

export const dimensions = (s: ImageShape): number => s.height * s.width * s.channels;

export const bitsPerDim = (nllNats: number, s: ImageShape): number => nllNats / (dimensions(s) * Math.LN2);

/** log p(value) for every level at one tensor of logits: log-softmax along the last axis. */
export const logProbabilities = (logits: Tensor): Tensor => tf.logSoftmax(logits);

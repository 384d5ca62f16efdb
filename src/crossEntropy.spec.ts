// nllPerImage (softmax kernel + gather, custom gradient) against the textbook formulation
// −Σ onehot(x) · logSoftmax(z): values and gradients, including logits far apart (p_x underflows).
import { describe, expect, it } from 'vitest';
import { nllPerImage } from './likelihood.js';
import { Rng } from './rng.js';
import { tf, type Tensor4D, type Tensor5D } from './tf.js';

const reference = (z: Tensor5D, x: Tensor4D) =>
  tf.neg(tf.sum(tf.mul(tf.logSoftmax(z), tf.oneHot(tf.cast(x, 'int32'), z.shape[4])), [1, 2, 3, 4]));

const compare = (scale: number, seed: number) => {
  const rng = Rng.fromSeed(seed, 2);
  const [b, h, w, c, k] = [3, 2, 4, 3, 7];
  const z = tf.tensor5d(Float32Array.from({ length: b * h * w * c * k }, () => rng.normal() * scale), [b, h, w, c, k]);
  const x = tf.tensor4d(Float32Array.from({ length: b * h * w * c }, () => rng.int(k)), [b, h, w, c]);
  const weights = tf.tensor1d([1, -2, 0.5]);
  const value = (f: typeof reference) => (zz: tf.Tensor) => tf.sum(tf.mul(f(zz as Tensor5D, x), weights));
  const before = tf.memory().numTensors;
  const ours = tf.tidy(() => [nllPerImage(z, x), tf.grad(value(nllPerImage))(z)].map((t) => Array.from(t.dataSync())));
  const theirs = tf.tidy(() => [reference(z, x), tf.grad(value(reference))(z)].map((t) => Array.from(t.dataSync())));
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([z, x, weights]);
  ours[0]!.forEach((v, i) => expect(Math.abs(v - theirs[0]![i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(theirs[0]![i]!))));
  ours[1]!.forEach((v, i) => expect(Math.abs(v - theirs[1]![i]!)).toBeLessThan(1e-5));
  return ours[0]!;
};

describe('nllPerImage', () => {
  it('equals −Σ log-softmax at the target, values and gradients', () => {
    compare(3, 1);
  });
  it('stays exact when the target probability underflows float32 (logits hundreds apart)', () => {
    const nll = compare(300, 2);
    expect(nll.every(Number.isFinite)).toBe(true);
    expect(Math.max(...nll)).toBeGreaterThan(1000);
  });
});

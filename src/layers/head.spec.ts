// headLogits' Bernoulli pair [0, ℓ] equals concat([0, ℓ]) exactly — values and gradients — and its 0 is +0.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../tf.js';
import { headLogits } from './head.js';

const bernoulli = { height: 2, width: 3, channels: 2, levels: 2, head: 'bernoulli' as const };
const byConcat = (out: Tensor4D) => {
  const logit = tf.reshape(out, [1, 2, 3, 2, 1]);
  return tf.concat([tf.zerosLike(logit), logit], 4);
};
const values = fc.array(fc.float({ min: -50, max: 50, noNaN: true }), { minLength: 12, maxLength: 12 });

/** Both heads' logits and the gradient of Σ logits·w, as arrays. */
const both = (head: (out: Tensor4D) => tf.Tensor, v: number[]) =>
  tf.tidy(() => {
    const out = tf.tensor4d(v, [1, 2, 3, 2]);
    const w = tf.range(1, 25).reshape([1, 2, 3, 2, 2]);
    return { logits: Array.from(head(out).dataSync()), grad: Array.from(tf.grad((o: tf.Tensor) => tf.sum(tf.mul(head(o as Tensor4D), w)))(out).dataSync()) };
  });

const same = (head: (out: Tensor4D) => tf.Tensor) => (v: number[]) => {
  const [a, b] = [both(head, v), both(byConcat, v)];
  // Equal values (ℓ = −0 may come out as 0), and the constant logit is +0, never −0.
  const zeroSlots = a.logits.filter((_, i) => i % 2 === 0);
  return a.logits.every((x, i) => x === b.logits[i]) && a.grad.every((x, i) => x === b.grad[i]) && zeroSlots.every((z) => Object.is(z, 0));
};

describe('headLogits', () => {
  it("'bernoulli': [0, ℓ] with the values and gradients of concat([0, ℓ])", () => {
    fc.assert(fc.property(values, same((o) => headLogits(o, bernoulli))), { numRuns: 50 });
  });

  it('negative control: ℓ·[0, 1] without the + 0 gives −0 for a negative logit, and is caught', () => {
    const noZeroFix = (o: Tensor4D) => tf.mul(tf.reshape(o, [1, 2, 3, 2, 1]), tf.tensor1d([0, 1]));
    expect(() => fc.assert(fc.property(values, same(noZeroFix)), { numRuns: 50 })).toThrow();
  });

  it("'softmax': the output's C·K features as K logits per channel", () => {
    const out = tf.range(0, 24).reshape([1, 2, 3, 4]) as Tensor4D;
    const logits = headLogits(out, { ...bernoulli, levels: 2, head: 'softmax' });
    expect(logits.shape).toEqual([1, 2, 3, 2, 2]);
    expect(Array.from(logits.dataSync())).toEqual(Array.from(out.dataSync()));
    tf.dispose([out, logits]);
  });
});

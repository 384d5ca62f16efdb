// The last layer's output as logits [B, H, W, C, K]: K per channel ('softmax'), or one logit ℓ per
// channel ('bernoulli', K = 2) returned as the pair [0, ℓ], whose softmax is [1 − σ(ℓ), σ(ℓ)].
//
// The pair is ℓ·[0, 1] + 0 (the + 0 turns −0 into 0), not concat([0, ℓ]): the gradient of a
// broadcast product is a product and a sum, while concat's is SplitV on the innermost axis of a
// rank-5 tensor, which tfjs-wasm runs element by element — a quarter of a small model's step.
import type { ImageShape } from '../model.js';
import { tf, type Tensor4D, type Tensor5D } from '../tf.js';

export type Head = 'softmax' | 'bernoulli';

/** Head output [B, H, W, C·K] (or [B, H, W, C] for 'bernoulli') as logits [B, H, W, C, K]. */
export const headLogits = (out: Tensor4D, s: ImageShape & { head: Head }): Tensor5D => {
  const [b, h, w] = out.shape;
  if (s.head === 'bernoulli') {
    const logit = tf.reshape(out, [b, h, w, s.channels, 1]); //                      [B, H, W, C, 1]
    return tf.add(tf.mul(logit, tf.tensor1d([0, 1])), 0) as Tensor5D; //            [B, H, W, C, 2]
  }
  return tf.reshape(out, [b, h, w, s.channels, s.levels]) as Tensor5D; //           [B, H, W, C, K]
};

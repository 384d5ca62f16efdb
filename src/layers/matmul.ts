import { tf, type Tensor2D } from '../tf.js';

/**
 * a·b whose gradient multiplies by explicit transposes instead of matMul's transposeA/transposeB
 * flags: on the wasm backend a flagged matMul runs ~10× slower than transpose-then-multiply.
 */
export const matMulPlain: (a: Tensor2D, b: Tensor2D) => Tensor2D = tf.customGrad(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a, b]);
    return {
      value: tf.matMul(a as Tensor2D, b as Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as [Tensor2D, Tensor2D];
        return [
          tf.matMul(dy as Tensor2D, tf.transpose(sb)), // [N, in]
          tf.matMul(tf.transpose(sa), dy as Tensor2D), // [in, out]
        ];
      },
    };
  }) as any,
) as unknown as (a: Tensor2D, b: Tensor2D) => Tensor2D;

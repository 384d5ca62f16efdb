// The backend's own plain matMul speed — the yardstick for "useful GFLOP/s" in every bench.

import { tf } from '../src/tf.js';
import { median } from './stats.js';


/** GFLOP/s of [m×k]·[k×n] on the current backend: median of `repeats` timed products after one warm-up. */
export const plainMatMulGflops = (m: number, k: number, n: number, repeats: number): number => {
  const a = tf.randomNormal([m, k]) as tf.Tensor2D;
  const b = tf.randomNormal([k, n]) as tf.Tensor2D;
  const once = () => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    return (performance.now() - t0) / 1000;
  };
  once();
  const t = median(Array.from({ length: repeats }, once));
  tf.dispose([a, b]);
  return (2 * m * k * n) / t / 1e9;
};

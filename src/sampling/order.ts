// Sampling orders as plain data: flat indices (i·W + j)·C + c in the order values are drawn.

import type { ImageShape } from '../model.js';
import type { SamplingOrder } from './types.js';

/** Raster order over pixels, channels R → G → B within a pixel: index q is drawn q-th. */
export const rasterOrder = (s: ImageShape): SamplingOrder => Int32Array.from({ length: s.height * s.width * s.channels }, (_, q) => q);

/** rank[q]: when flat index q is drawn (0 first). */
export const rankOf = (order: SamplingOrder): Int32Array => {
  const rank = new Int32Array(order.length);
  order.forEach((q, r) => (rank[q] = r));
  return rank;
};

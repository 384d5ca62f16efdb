// Sampling orders as plain data: flat indices (i·W + j)·C + c in the order values are drawn.

import type { ImageShape } from '../model.js';
import type { SamplingOrder } from './types.js';

/** Raster order over pixels, channels R → G → B within a pixel: index q is drawn q-th. */
export const rasterOrder = (s: ImageShape): SamplingOrder => Int32Array.from({ length: s.height * s.width * s.channels }, (_, q) => q);

/** The position (row i, column j, channel c) of flat index q = (i·W + j)·C + c. */
export const positionOf = (s: Pick<ImageShape, 'width' | 'channels'>, q: number): { readonly i: number; readonly j: number; readonly c: number } => {
  const c = q % s.channels;
  const pixel = (q - c) / s.channels;
  return { i: Math.floor(pixel / s.width), j: pixel % s.width, c };
};

/** rank[q]: when flat index q is drawn (0 first). */
export const rankOf = (order: SamplingOrder): Int32Array => {
  const rank = new Int32Array(order.length);
  order.forEach((q, r) => (rank[q] = r));
  return rank;
};

// Multi-Scale PixelRNN's sampling order: first the small image (every factor-th pixel of every
// factor-th row) in raster order, then every other pixel in raster order; R → G → B within a pixel.

import type { ImageShape } from '../../model.js';
import type { SamplingOrder } from '../../sampling/types.js';

/** Is (i, j) a pixel of the small image? */
export const isSmallPosition = (factor: number, i: number, j: number): boolean => i % factor === 0 && j % factor === 0;

export const multiscaleSamplingOrder = (s: ImageShape & { readonly factor: number }): SamplingOrder => {
  const { height: H, width: W, channels: C, factor: f } = s;
  const order = new Int32Array(H * W * C);
  let next = 0;
  for (const small of [true, false])
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) if (isSmallPosition(f, i, j) === small) for (let c = 0; c < C; c++) order[next++] = (i * W + j) * C + c;
  return order;
};

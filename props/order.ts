// The autoregressive order of a family, as a rank per value (flat index (i·W + j)·C + c): the logits
// of a value may depend on the values of lower rank only. Raster order with channels fastest for
// every family except those registered here; within a pixel, channels always keep R, G, B order.

import type { ImageShape } from '../src/model.js';
import type { ModelSpec } from '../src/models/registry.js';
import { valuesPerImage } from './types.js';

/** rank[q] = q: raster order, channel fastest. */
export const rasterOrder = (s: ImageShape): Int32Array => Int32Array.from({ length: valuesPerImage(s) }, (_, q) => q);

/**
 * Multi-Scale PixelRNN: first the small image (every factor-th pixel of every factor-th row) in
 * raster order, then every other pixel in raster order (src/models/multiscale.ts).
 */
export const multiscaleOrder = (s: ImageShape & { readonly factor: number }): Int32Array => {
  const { height: H, width: W, channels: C, factor: f } = s;
  const rank = new Int32Array(H * W * C);
  let next = 0;
  for (const small of [true, false])
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        if ((i % f === 0 && j % f === 0) === small) for (let c = 0; c < C; c++) rank[(i * W + j) * C + c] = next++;
  return rank;
};

/** Orders by family; families not listed use raster order. */
export const familyOrders: Record<string, (s: ModelSpec) => Int32Array> = {
  multiscale: (s) => multiscaleOrder(s as ModelSpec & { factor: number }),
};

export const orderOf = (s: ImageShape & { readonly family?: string }): Int32Array =>
  (s.family !== undefined ? familyOrders[s.family]?.(s as ModelSpec) : undefined) ?? rasterOrder(s);

/** Flat indices sorted by rank: byRank[r] is the value sampled r-th. */
export const byRank = (rank: Int32Array): Int32Array => {
  const out = new Int32Array(rank.length);
  rank.forEach((r, q) => (out[r] = q));
  return out;
};

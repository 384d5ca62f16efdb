// The autoregressive order of a model, as a rank per value (flat index (i·W + j)·C + c): the
// distribution of a value may depend on the values of lower rank only. Each family states its own
// sampling order (ModelFamily.order; raster order with channels fastest when it states none), and
// this is its rank form.

import type { BaseSpec, ImageShape } from '../src/model.js';
import { multiscaleSamplingOrder } from '../src/models/multiscale/order.js';
import { familyOrNull } from '../src/models/registry.js';
import { rankOf, rasterOrder as rasterSamplingOrder } from '../src/sampling/order.js';

/** rank[q] = q: raster order, channel fastest. */
export const rasterOrder = (s: ImageShape): Int32Array => rankOf(rasterSamplingOrder(s));

/** Multi-Scale PixelRNN's ranks: the small image first in raster order, then the rest in raster order. */
export const multiscaleOrder = (s: ImageShape & { readonly factor: number }): Int32Array => rankOf(multiscaleSamplingOrder(s));

/** The rank of every value in the order its family samples in (raster for unregistered families). */
export const orderOf = (s: ImageShape & { readonly family?: string }): Int32Array => {
  const family = s.family !== undefined ? familyOrNull(s.family) : null;
  return family?.order ? rankOf(family.order(s as BaseSpec)) : rasterOrder(s);
};

/** Flat indices sorted by rank: byRank[r] is the value sampled r-th. */
export const byRank = (rank: Int32Array): Int32Array => {
  const out = new Int32Array(rank.length);
  rank.forEach((r, q) => (out[r] = q));
  return out;
};

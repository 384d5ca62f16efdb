// Dropout masks as pure functions of (seed, step, image position in the batch, layer): the mask of
// image b does not depend on how the batch is split across workers or on what ran before, so
// 2-worker training equals 1-worker training and a resumed run equals an uninterrupted one, bit for
// bit. A counter-based hash (murmur3's finaliser over the key and the element index) rather than a
// stateful generator: any element of any mask can be computed alone.

import type { TrainingDraw } from '../../model.js';
import { tf, type Tensor4D } from '../../tf.js';

const fmix = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

/** A 32-bit key for (seed, step, image, layer). */
export const maskKey = (seed: number, step: number, image: number, layer: number): number =>
  fmix(fmix(fmix(fmix(seed >>> 0) ^ Math.imul(step >>> 0, 0x9e3779b1)) ^ Math.imul(image >>> 0, 0x7feb352d)) ^ Math.imul(layer + 1, 0x846ca68b));

/**
 * The keep-mask of one image at one layer, scaled: 1/(1−p) where kept, 0 where dropped; element k is
 * kept when hash(key, k) / 2³² ≥ p. [size]
 */
export const imageMask = (key: number, size: number, p: number, out: Float32Array = new Float32Array(size), at = 0): Float32Array => {
  const keep = 1 / (1 - p);
  const threshold = p * 4294967296;
  for (let k = 0; k < size; k++) out[at + k] = fmix(key ^ Math.imul(k + 1, 0xcc9e2d51)) >= threshold ? keep : 0;
  return out;
};

/**
 * Dropout of features held as pieces (their concatenation along the last axis is the layer's
 * input): each piece gets its slice of the mask `dropout` would draw for the concatenation, so both
 * forms drop the same features.
 */
export const dropoutPieces = (pieces: readonly Tensor4D[], p: number, draw: TrainingDraw, layer: number): Tensor4D[] => {
  if (p <= 0) return [...pieces];
  const [b, h, w] = pieces[0]!.shape;
  const widths = pieces.map((x) => x.shape[3]);
  const c = widths.reduce((n, f) => n + f, 0);
  const size = h * w * c;
  const whole = new Float32Array(size);
  const masks = widths.map((f) => new Float32Array(b * h * w * f));
  for (let i = 0; i < b; i++) {
    imageMask(maskKey(draw.seed, draw.step, draw.first + i, layer), size, p, whole, 0);
    for (let q = 0; q < h * w; q++) {
      let offset = 0;
      widths.forEach((f, k) => {
        masks[k]!.set(whole.subarray(q * c + offset, q * c + offset + f), (i * h * w + q) * f);
        offset += f;
      });
    }
  }
  return pieces.map((x, k) => tf.mul(x, tf.tensor4d(masks[k]!, [b, h, w, widths[k]!])) as Tensor4D);
};

// Gated PixelCNN specs for the property laws (fast-check), over the shared image-shape arbitrary.

import fc from 'fast-check';
import { likelihoodSpecArb } from '../../likelihoods/arbitrary.js';
import { imageShapeArb, type ShapeConstraints } from '../../shapeArb.js';
import type { GatedPixelCnnSpec } from './spec.js';

/** Limits on Gated PixelCNN hyper-parameters. */
export interface GatedPixelCnnConstraints extends ShapeConstraints {
  /** Largest hidden / headHidden width (default 8); the smallest is C. */
  readonly maxHidden?: number;
  /** Largest number of gated layers (default 3); the smallest is 1. */
  readonly maxLayers?: number;
}

/**
 * Gated PixelCNN specs: H, W in 1..8, C in {1, 3}, K in {2, 4, 256}, first kernel in {3, 5, 7},
 * kernel in {1, 3, 5}, 1..3 gated layers, hidden and headHidden in C..8, a Bernoulli likelihood only
 * when K = 2.
 */
export const gatedPixelCnnSpecArb = (k: GatedPixelCnnConstraints = {}): fc.Arbitrary<GatedPixelCnnSpec> =>
  imageShapeArb(k).chain((shape) => {
    const width = fc.integer({ min: shape.channels, max: Math.max(shape.channels, k.maxHidden ?? 8) });
    return fc
      .record({
        hidden: width,
        headHidden: width,
        layers: fc.integer({ min: 1, max: Math.max(1, k.maxLayers ?? 3) }),
        firstKernel: fc.constantFrom(3, 5, 7),
        kernel: fc.constantFrom(3, 1, 5),
        likelihood: likelihoodSpecArb(shape.levels),
      })
      .map((h): GatedPixelCnnSpec => ({
        family: 'gated-pixelcnn',
        height: shape.height,
        width: shape.width,
        channels: shape.channels as 1 | 3,
        levels: shape.levels,
        ...h,
      }));
  });

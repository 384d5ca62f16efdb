// PixelCNN specs for the property laws (fast-check), over the shared image-shape arbitrary.

import fc from 'fast-check';
import { likelihoodSpecArb } from '../../likelihoods/arbitrary.js';
import { imageShapeArb, type ShapeConstraints } from '../../shapeArb.js';
import type { PixelCnnSpec } from './spec.js';

/** Limits on PixelCNN hyper-parameters. */
export interface PixelCnnConstraints extends ShapeConstraints {
  /** Largest hidden / headHidden width (default 12); the smallest is C. */
  readonly maxHidden?: number;
  /** Largest number of residual mask-B layers (default 2). */
  readonly maxResidualLayers?: number;
}

/**
 * PixelCNN specs: H, W in 1..8, C in {1, 3}, K in {2, 4, 256}, first kernel in {1, 3, 5, 7}, kernel
 * in {1, 3, 5}, 0..2 residual layers, hidden and headHidden in C..12, a Bernoulli likelihood only when K = 2.
 */
export const pixelCnnSpecArb = (k: PixelCnnConstraints = {}): fc.Arbitrary<PixelCnnSpec> =>
  imageShapeArb(k).chain((shape) => {
    const width = fc.integer({ min: shape.channels, max: Math.max(shape.channels, k.maxHidden ?? 12) });
    return fc
      .record({
        hidden: width,
        headHidden: width,
        residualLayers: fc.integer({ min: 0, max: k.maxResidualLayers ?? 2 }),
        firstKernel: fc.constantFrom(3, 1, 5, 7),
        kernel: fc.constantFrom(3, 1, 5),
        likelihood: likelihoodSpecArb(shape.levels),
      })
      .map((h): PixelCnnSpec => ({
        family: 'pixelcnn',
        height: shape.height,
        width: shape.width,
        channels: shape.channels as 1 | 3,
        levels: shape.levels,
        ...h,
      }));
  });


// PixelCNN++ specs for the property laws (fast-check), over the shared image-shape arbitrary.

import fc from 'fast-check';
import { likelihoodSpecArb } from '../../likelihoods/arbitrary.js';
import type { LikelihoodSpec } from '../../likelihoods/index.js';
import { imageShapeArb, type ShapeConstraints } from '../../shapeArb.js';
import { PIXELCNNPP, type PixelCnnPpSpec } from './spec.js';

/** Limits on PixelCNN++ hyper-parameters. */
export interface PixelCnnPpConstraints extends ShapeConstraints {
  /** Largest nrFilters (default 8); the smallest is 2. */
  readonly maxFilters?: number;
  /** Largest nrResnet (default 2); the smallest is 1. */
  readonly maxResnet?: number;
}

/** Levels a 3-channel spec may draw: those where the logistic mixture is drawn (K ≤ 16). */
const MIXTURE_LEVELS = [2, 4, 8, 16];

/**
 * PixelCNN++ specs: H, W in 1..8, C in {1, 3}; one channel with any likelihood that fits K, three
 * channels with a logistic mixture of 1..3 components (the only likelihood that couples a pixel's
 * channels, spec.ts) at K ≤ 16; nrResnet 1..2, nrFilters 2..8, dropout 0 or 0.5 (it acts in
 * training only, so the laws see the same model whatever it is).
 */
export const pixelCnnPpSpecArb = (k: PixelCnnPpConstraints = {}): fc.Arbitrary<PixelCnnPpSpec> => {
  const channels = k.channels ?? [1, 3];
  const grey = channels.includes(1) ? [imageShapeArb({ ...k, channels: [1] }).chain((shape) => likelihoodSpecArb(shape.levels).map((likelihood) => ({ shape, likelihood })))] : [];
  const levels3 = (k.levels ?? MIXTURE_LEVELS).filter((l) => l <= 16);
  const colour = channels.includes(3)
    ? [
        imageShapeArb({ ...k, channels: [3], levels: levels3.length ? levels3 : [4] }).chain((shape) =>
          fc.integer({ min: 1, max: 3 }).map((components) => ({ shape, likelihood: { kind: 'logistic-mixture', components } as LikelihoodSpec })),
        ),
      ]
    : [];
  return fc.oneof(...grey, ...colour).chain(({ shape, likelihood }) =>
    fc
      .record({
        nrResnet: fc.integer({ min: 1, max: Math.max(1, k.maxResnet ?? 2) }),
        nrFilters: fc.integer({ min: 2, max: Math.max(2, k.maxFilters ?? 8) }),
        dropout: fc.constantFrom(0, 0.5),
      })
      .map((h): PixelCnnPpSpec => ({
        family: PIXELCNNPP,
        height: shape.height,
        width: shape.width,
        channels: shape.channels as 1 | 3,
        levels: shape.levels,
        likelihood,
        ...h,
      })),
  );
};

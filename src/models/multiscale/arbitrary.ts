// Multi-Scale PixelRNN specs for the property laws (fast-check).

import fc from 'fast-check';
import { likelihoodSpecArb } from '../../likelihoods/arbitrary.js';
import { imageShapeArb } from '../../shapeArb.js';
import { recurrentBodyArb, type PixelRnnConstraints } from '../pixelrnn/arbitrary.js';
import type { MultiscaleSpec } from './spec.js';

/**
 * Multi-Scale PixelRNN specs: a factor f in {2, 3, 4} dividing H and W (so H, W are multiples of
 * f within the limits), a small and a large recurrent body, 1..4 condition features.
 */
export const multiscaleSpecArb = (k: PixelRnnConstraints = {}): fc.Arbitrary<MultiscaleSpec> => {
  const bounds = (factor: number) => {
    const fit = (min: number | undefined, max: number | undefined) => ({
      min: Math.max(1, Math.ceil((min ?? 1) / factor)),
      max: Math.max(1, Math.floor((max ?? 8) / factor)),
    });
    const h = fit(k.minHeight, k.maxHeight);
    const w = fit(k.minWidth, k.maxWidth);
    return { ...k, minHeight: factor * h.min, maxHeight: factor * h.max, minWidth: factor * w.min, maxWidth: factor * w.max };
  };
  const feasible = [2, 3, 4].filter((f) => {
    try {
      imageShapeArb(bounds(f));
      return true;
    } catch {
      return false;
    }
  });
  if (feasible.length === 0)
    throw new Error(`multiscaleSpecArb: no factor in 2..4 fits the constraints ${JSON.stringify(k)}`);
  return fc.constantFrom(...feasible).chain((factor) =>
    imageShapeArb(bounds(factor))
      .filter((s) => s.height % factor === 0 && s.width % factor === 0)
      .chain((shape) =>
        fc
          .record({
            small: fc.constantFrom('row-lstm' as const, 'diagonal-bilstm' as const).chain((f) => recurrentBodyArb(f, shape, k)),
            large: fc.constantFrom('row-lstm' as const, 'diagonal-bilstm' as const).chain((f) => recurrentBodyArb(f, shape, k)),
            conditionFeatures: fc.integer({ min: 1, max: 4 }),
            likelihood: likelihoodSpecArb(shape.levels),
          })
          .map((r) => ({ family: 'multiscale', ...shape, channels: shape.channels as 1 | 3, factor, ...r }) as MultiscaleSpec),
      ),
  );
};


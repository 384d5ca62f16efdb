// fast-check arbitraries: model specs for every family (small sizes), images and positions.
//
// Each family's spec arbitrary lives in its folder (ModelFamily.specArb, src/models/<family>/);
// `modelSpecArb` draws from every registered family. Each takes the same image-shape constraints, so
// a property can ask for, e.g., "any family, images small enough to enumerate".

import fc from 'fast-check';
import type { BaseSpec, ImageShape } from '../src/model.js';
import { families } from '../src/models/registry.js';
import type { ShapeConstraints } from '../src/shapeArb.js';
import type { Position } from './types.js';

export { imageCount, imageShapeArb, type ShapeConstraints } from '../src/shapeArb.js';
export { pixelCnnSpecArb, type PixelCnnConstraints } from '../src/models/pixelcnn/arbitrary.js';
export { diagonalBiLstmSpecArb, recurrentBodyArb, rowLstmSpecArb, type PixelRnnConstraints } from '../src/models/pixelrnn/arbitrary.js';
export { multiscaleSpecArb } from '../src/models/multiscale/arbitrary.js';
export { likelihoodSpecArb } from '../src/likelihoods/arbitrary.js';

/** A family's spec arbitrary under image-shape constraints. */
export type FamilySpecArb = (k?: ShapeConstraints) => fc.Arbitrary<BaseSpec>;

/** Every registered family that has a spec arbitrary (ModelFamily.specArb), by name. */
export const familySpecArbs = (): Record<string, FamilySpecArb> =>
  Object.fromEntries(families().flatMap((f) => (f.specArb ? [[f.family, (k?: ShapeConstraints) => f.specArb!(k)]] : [])));

/** Specs of any registered family (or of the families named), drawn uniformly over families. */
export const modelSpecArb = (k: ShapeConstraints = {}, names?: readonly string[]): fc.Arbitrary<BaseSpec> => {
  const all = familySpecArbs();
  const arbs = (names ?? Object.keys(all)).map((f) => {
    const a = all[f];
    if (!a) throw new Error(`modelSpecArb: no spec arbitrary for family '${f}', expected one of ${Object.keys(all).join(', ')}`);
    return a(k);
  });
  return fc.oneof(...arbs);
};

/** One image of the spec's shape: H·W·C levels in 0..K-1, raster order, channel fastest. */
export const imageArb = (s: ImageShape): fc.Arbitrary<number[]> => {
  const n = s.height * s.width * s.channels;
  return fc.array(fc.integer({ min: 0, max: s.levels - 1 }), { minLength: n, maxLength: n });
};

/** A position (i, j, c) inside the spec's image. */
export const positionArb = (s: ImageShape): fc.Arbitrary<Position> =>
  fc.record({
    i: fc.integer({ min: 0, max: s.height - 1 }),
    j: fc.integer({ min: 0, max: s.width - 1 }),
    c: fc.integer({ min: 0, max: s.channels - 1 }),
  });

/** A seed for weights or sampling. */
export const seedArb: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0x7fffffff });

/** A spec with a weight seed: what a property needs to build one model. */
export const modelCaseArb = <S extends ImageShape>(specArb: fc.Arbitrary<S>): fc.Arbitrary<{ spec: S; seed: number }> =>
  fc.record({ spec: specArb, seed: seedArb });

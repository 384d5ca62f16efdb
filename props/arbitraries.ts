// fast-check arbitraries: model specs for every family (small sizes), images and positions.
//
// A family joins by adding its spec arbitrary to `familySpecArbs` below (keyed by family name);
// `modelSpecArb` draws from every family there. Each family arbitrary takes the same image-shape
// constraints, so a property can ask for, e.g., "any family, images small enough to enumerate".

import fc from 'fast-check';
import type { ImageShape } from '../src/model.js';
import type { PixelCnnSpec } from '../src/models/spec.js';
import type { ModelSpec } from '../src/models/registry.js';
import type { Position } from './types.js';

/** Limits on the image shape drawn; every field is optional. */
export interface ShapeConstraints {
  /** Rows, columns: 1..8 by default. */
  readonly minHeight?: number;
  readonly maxHeight?: number;
  readonly minWidth?: number;
  readonly maxWidth?: number;
  /** Channels to draw from: [1, 3] by default. */
  readonly channels?: readonly (1 | 3)[];
  /** Levels K to draw from: [2, 4, 256] by default. */
  readonly levels?: readonly number[];
  /** At most this many distinct images, K^(H·W·C) (for enumeration); unbounded by default. */
  readonly maxImages?: number;
}

const DEFAULT_LEVELS = [2, 4, 256] as const;
const DEFAULT_CHANNELS = [1, 3] as const;

/** Number of distinct images of a shape, K^(H·W·C) (Infinity when it does not fit a double). */
export const imageCount = (s: ImageShape): number => Math.pow(s.levels, s.height * s.width * s.channels);

/** The largest number of pixels H·W with K^(H·W·C) ≤ max. */
const maxPixels = (levels: number, channels: number, maxImages: number): number =>
  Math.floor(Math.log(maxImages) / (channels * Math.log(levels)) + 1e-9);

/** Image shapes within the constraints: C and K first, then H and W so that the count fits. */
export const imageShapeArb = (k: ShapeConstraints = {}): fc.Arbitrary<ImageShape> => {
  const minH = k.minHeight ?? 1;
  const maxH = k.maxHeight ?? 8;
  const minW = k.minWidth ?? 1;
  const maxW = k.maxWidth ?? 8;
  const pairs = (k.channels ?? DEFAULT_CHANNELS).flatMap((channels) =>
    (k.levels ?? DEFAULT_LEVELS).map((levels) => ({ channels, levels })),
  );
  const feasible = pairs.filter(
    ({ channels, levels }) => k.maxImages === undefined || maxPixels(levels, channels, k.maxImages) >= minH * minW,
  );
  if (feasible.length === 0)
    throw new Error(`props/arbitraries.ts imageShapeArb: no channels/levels pair fits maxImages = ${k.maxImages}`);
  return fc.constantFrom(...feasible).chain(({ channels, levels }) => {
    const pixels = k.maxImages === undefined ? Infinity : maxPixels(levels, channels, k.maxImages);
    return fc.integer({ min: minH, max: Math.max(minH, Math.min(maxH, Math.floor(pixels / minW))) }).chain((height) =>
      fc
        .integer({ min: minW, max: Math.max(minW, Math.min(maxW, Math.floor(pixels / height))) })
        .map((width): ImageShape => ({ height, width, channels, levels })),
    );
  });
};

/** Limits on PixelCNN hyper-parameters. */
export interface PixelCnnConstraints extends ShapeConstraints {
  /** Largest hidden / headHidden width (default 12); the smallest is C. */
  readonly maxHidden?: number;
  /** Largest number of residual mask-B layers (default 2). */
  readonly maxResidualLayers?: number;
}

/**
 * PixelCNN specs: H, W in 1..8, C in {1, 3}, K in {2, 4, 256}, first kernel in {1, 3, 5, 7}, kernel
 * in {1, 3, 5}, 0..2 residual layers, hidden and headHidden in C..12, head 'bernoulli' only when K = 2.
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
        head: shape.levels === 2 ? fc.constantFrom('softmax' as const, 'bernoulli' as const) : fc.constant('softmax' as const),
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

/** A family's spec arbitrary under image-shape constraints. */
export type FamilySpecArb = (k?: ShapeConstraints) => fc.Arbitrary<ModelSpec>;

/** Every family's spec arbitrary. New families join here (one line each). */
export const familySpecArbs: Record<string, FamilySpecArb> = {
  pixelcnn: (k) => pixelCnnSpecArb(k),
};

/** Specs of any registered family (or of the families named), drawn uniformly over families. */
export const modelSpecArb = (k: ShapeConstraints = {}, families: readonly string[] = Object.keys(familySpecArbs)): fc.Arbitrary<ModelSpec> => {
  const arbs = families.map((f) => {
    const a = familySpecArbs[f];
    if (!a) throw new Error(`props/arbitraries.ts modelSpecArb: unknown family '${f}', expected one of ${Object.keys(familySpecArbs).join(', ')}`);
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

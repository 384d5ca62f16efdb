// Image-shape arbitraries (fast-check) that every family's spec arbitrary builds on: the family
// folders (src/models/<family>/) draw their specs over these shapes, and props/arbitraries.ts
// re-exports them.

import fc from 'fast-check';
import type { ImageShape } from './model.js';

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
    throw new Error(`imageShapeArb (src/shapeArb.ts): no channels/levels pair fits maxImages = ${k.maxImages}`);
  return fc.constantFrom(...feasible).chain(({ channels, levels }) => {
    const pixels = k.maxImages === undefined ? Infinity : maxPixels(levels, channels, k.maxImages);
    return fc.integer({ min: minH, max: Math.max(minH, Math.min(maxH, Math.floor(pixels / minW))) }).chain((height) =>
      fc
        .integer({ min: minW, max: Math.max(minW, Math.min(maxW, Math.floor(pixels / height))) })
        .map((width): ImageShape => ({ height, width, channels, levels })),
    );
  });
};


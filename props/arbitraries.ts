// fast-check arbitraries: model specs for every family (small sizes), images and positions.
//
// A family joins by adding its spec arbitrary to `familySpecArbs` below (keyed by family name);
// `modelSpecArb` draws from every family there. Each family arbitrary takes the same image-shape
// constraints, so a property can ask for, e.g., "any family, images small enough to enumerate".

import fc from 'fast-check';
import type { ImageShape } from '../src/model.js';
import type { DiagonalBiLstmSpec, MultiscaleSpec, PixelCnnSpec, RecurrentBody, RowLstmSpec } from '../src/models/spec.js';
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

/** Limits on PixelRNN hyper-parameters. */
export interface PixelRnnConstraints extends ShapeConstraints {
  /** Largest hidden / headHidden width (default 8); the smallest is C. */
  readonly maxHidden?: number;
  /** Largest number of recurrent layers (default 2). */
  readonly maxLayers?: number;
}

/** The body of a Row LSTM or Diagonal BiLSTM for an image shape (hidden, headHidden ≥ C). */
export const recurrentBodyArb = (
  family: 'row-lstm' | 'diagonal-bilstm',
  shape: ImageShape,
  k: PixelRnnConstraints = {},
): fc.Arbitrary<RecurrentBody> => {
  const width = fc.integer({ min: shape.channels, max: Math.max(shape.channels, k.maxHidden ?? 8) });
  const common = {
    hidden: width,
    headHidden: width,
    layers: fc.integer({ min: 1, max: k.maxLayers ?? 2 }),
    firstKernel: fc.constantFrom(3, 1, 5, 7),
    head: shape.levels === 2 ? fc.constantFrom('softmax' as const, 'bernoulli' as const) : fc.constant('softmax' as const),
    residual: fc.boolean(),
    skip: fc.boolean(),
  };
  return family === 'row-lstm'
    ? fc.record({ ...common, rowKernel: fc.constantFrom(3, 1, 5) }).map((b): RecurrentBody => ({ family, ...b }))
    : fc.record(common).map((b): RecurrentBody => ({ family, ...b }));
};

/** Row LSTM (family 'row-lstm') specs over the constrained image shapes. */
export const rowLstmSpecArb = (k: PixelRnnConstraints = {}): fc.Arbitrary<RowLstmSpec> =>
  imageShapeArb(k).chain((shape) =>
    recurrentBodyArb('row-lstm', shape, k).map((b) => ({ ...shape, channels: shape.channels as 1 | 3, ...b }) as RowLstmSpec),
  );

/** Diagonal BiLSTM (family 'diagonal-bilstm') specs over the constrained image shapes. */
export const diagonalBiLstmSpecArb = (k: PixelRnnConstraints = {}): fc.Arbitrary<DiagonalBiLstmSpec> =>
  imageShapeArb(k).chain((shape) =>
    recurrentBodyArb('diagonal-bilstm', shape, k).map(
      (b) => ({ ...shape, channels: shape.channels as 1 | 3, ...b }) as DiagonalBiLstmSpec,
    ),
  );

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
    throw new Error(`props/arbitraries.ts multiscaleSpecArb: no factor in 2..4 fits the constraints ${JSON.stringify(k)}`);
  return fc.constantFrom(...feasible).chain((factor) =>
    imageShapeArb(bounds(factor))
      .filter((s) => s.height % factor === 0 && s.width % factor === 0)
      .chain((shape) =>
        fc
          .record({
            small: fc.constantFrom('row-lstm' as const, 'diagonal-bilstm' as const).chain((f) => recurrentBodyArb(f, shape, k)),
            large: fc.constantFrom('row-lstm' as const, 'diagonal-bilstm' as const).chain((f) => recurrentBodyArb(f, shape, k)),
            conditionFeatures: fc.integer({ min: 1, max: 4 }),
          })
          .map((r) => ({ family: 'multiscale', ...shape, channels: shape.channels as 1 | 3, factor, ...r }) as MultiscaleSpec),
      ),
  );
};

/** A family's spec arbitrary under image-shape constraints. */
export type FamilySpecArb = (k?: ShapeConstraints) => fc.Arbitrary<ModelSpec>;

/** Every family's spec arbitrary. New families join here (one line each). */
export const familySpecArbs: Record<string, FamilySpecArb> = {
  pixelcnn: (k) => pixelCnnSpecArb(k),
  'row-lstm': (k) => rowLstmSpecArb(k),
  'diagonal-bilstm': (k) => diagonalBiLstmSpecArb(k),
  multiscale: (k) => multiscaleSpecArb(k),
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

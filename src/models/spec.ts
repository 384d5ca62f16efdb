// io-ts codecs for model specs: decoded at the boundary (CLI flags, config files, checkpoint
// manifests), so that everything inside works on a validated, typed spec.

import * as t from 'io-ts';

/** A number codec that accepts integers passing `ok`; `name` is what error messages expect. */
export const intCodec = (name: string, ok: (n: number) => boolean) =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && ok(u),
    (u, c) => (typeof u === 'number' && Number.isInteger(u) && ok(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );

export const PositiveInt = intCodec('integer ≥ 1', (n) => n >= 1);
export const NonNegativeInt = intCodec('integer ≥ 0', (n) => n >= 0);
export const Levels = intCodec('integer in 2..65536', (n) => n >= 2 && n <= 65536);
export const Channels = t.union([t.literal(1), t.literal(3)], '1 | 3');
export const OddKernel = intCodec('odd integer ≥ 1', (n) => n >= 1 && n % 2 === 1);

export const ImageShapeCodec = t.type({
  height: PositiveInt,
  width: PositiveInt,
  channels: Channels,
  levels: Levels,
});

export const PixelCnnSpecCodec = t.intersection(
  [
    ImageShapeCodec,
    t.type({
      family: t.literal('pixelcnn'),
      /** h: features in every hidden layer. */
      hidden: PositiveInt,
      /** Number of residual 3×3 mask-B layers after the 7×7 mask-A layer. */
      residualLayers: NonNegativeInt,
      firstKernel: OddKernel,
      kernel: OddKernel,
      /** Features of the two ReLU + 1×1 mask-B output layers. */
      headHidden: PositiveInt,
      /** 'softmax' over K levels, or 'bernoulli' (one sigmoid logit, K = 2). */
      head: t.union([t.literal('softmax'), t.literal('bernoulli')]),
    }),
  ],
  'PixelCnnSpec',
);
export type PixelCnnSpec = t.TypeOf<typeof PixelCnnSpecCodec>;

// ── PixelRNN families (issue 4) ──────────────────────────────────────────────────────────────
// A recurrent "body" is everything but the image shape, so that the Multi-Scale PixelRNN can reuse
// it for its small (s×s) and large (n×n) networks.

export const HeadCodec = t.union([t.literal('softmax'), t.literal('bernoulli')], "'softmax' | 'bernoulli'");

const recurrentFields = {
  /** h: features of the LSTM state; the maps between layers have 2h. */
  hidden: PositiveInt,
  /** Number of recurrent layers after the first masked convolution. */
  layers: PositiveInt,
  /** Kernel of the first convolution (mask A), 7 in the paper. */
  firstKernel: OddKernel,
  /** Features of the two ReLU + 1×1 mask-B output layers. */
  headHidden: PositiveInt,
  head: HeadCodec,
  /** Residual connection around each recurrent layer (paper Table 2). */
  residual: t.boolean,
  /** Skip connections from every layer to the output head (paper Table 2). */
  skip: t.boolean,
};

export const RowLstmBodyCodec = t.type(
  {
    family: t.literal('row-lstm'),
    ...recurrentFields,
    /** k of the 1×k mask-B input-to-state convolution along the row (3 in the paper). */
    rowKernel: OddKernel,
  },
  'RowLstmBody',
);
export type RowLstmBody = t.TypeOf<typeof RowLstmBodyCodec>;

export const DiagonalBiLstmBodyCodec = t.type(
  { family: t.literal('diagonal-bilstm'), ...recurrentFields },
  'DiagonalBiLstmBody',
);
export type DiagonalBiLstmBody = t.TypeOf<typeof DiagonalBiLstmBodyCodec>;

export const RecurrentBodyCodec = t.union([RowLstmBodyCodec, DiagonalBiLstmBodyCodec], 'RecurrentBody');
export type RecurrentBody = t.TypeOf<typeof RecurrentBodyCodec>;

export const RowLstmSpecCodec = t.intersection([ImageShapeCodec, RowLstmBodyCodec], 'RowLstmSpec');
export type RowLstmSpec = t.TypeOf<typeof RowLstmSpecCodec>;

export const DiagonalBiLstmSpecCodec = t.intersection([ImageShapeCodec, DiagonalBiLstmBodyCodec], 'DiagonalBiLstmSpec');
export type DiagonalBiLstmSpec = t.TypeOf<typeof DiagonalBiLstmSpecCodec>;

export type RecurrentSpec = RowLstmSpec | DiagonalBiLstmSpec;

export const MultiscaleSpecCodec = t.intersection(
  [
    ImageShapeCodec,
    t.type({
      family: t.literal('multiscale'),
      /** n / s: the small image takes every factor-th pixel of every factor-th row. */
      factor: intCodec('integer ≥ 2', (n) => n >= 2),
      /** c: features of the upsampled (deconvolved) small image that biases every large layer. */
      conditionFeatures: PositiveInt,
      /** Unconditional network over the s×s image. */
      small: RecurrentBodyCodec,
      /** Conditional network over the n×n image. */
      large: RecurrentBodyCodec,
    }),
  ],
  'MultiscaleSpec',
);
export type MultiscaleSpec = t.TypeOf<typeof MultiscaleSpecCodec>;

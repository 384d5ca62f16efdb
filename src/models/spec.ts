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

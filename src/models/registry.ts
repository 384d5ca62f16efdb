// Every model family by name, the spec codec over all of them, and presets.

import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { formatValidationErrors } from '../data/errors.js';
import type { AutoregressiveModel, BaseSpec, ForwardOptions, ModelFamily } from '../model.js';
import { defaultConvImpl } from '../layers/maskedConv.js';
import type { NamedTensors, Tensor4D } from '../tf.js';
import * as t from 'io-ts';
import { diagonalBiLstm } from './diagonalBiLstm.js';
import { multiscale, multiscaleRules } from './multiscale.js';
import { pixelCnn } from './pixelcnn.js';
import { recurrentRules } from './pixelrnn.js';
import { rowLstm } from './rowLstm.js';
import {
  DiagonalBiLstmSpecCodec,
  MultiscaleSpecCodec,
  PixelCnnSpecCodec,
  RowLstmSpecCodec,
  type DiagonalBiLstmSpec,
  type MultiscaleSpec,
  type PixelCnnSpec,
  type RecurrentBody,
  type RowLstmSpec,
} from './spec.js';

// New families join here as a t.union of their codecs.
export const ModelSpecCodec = t.union(
  [PixelCnnSpecCodec, RowLstmSpecCodec, DiagonalBiLstmSpecCodec, MultiscaleSpecCodec],
  'ModelSpec',
);
export type ModelSpec = PixelCnnSpec | RowLstmSpec | DiagonalBiLstmSpec | MultiscaleSpec;

/** Each family's own codec, so that decoding reports the errors of the family asked for only. */
const codecOf: Record<string, t.Type<ModelSpec, unknown, unknown>> = {
  pixelcnn: PixelCnnSpecCodec as t.Type<ModelSpec, unknown, unknown>,
  'row-lstm': RowLstmSpecCodec as t.Type<ModelSpec, unknown, unknown>,
  'diagonal-bilstm': DiagonalBiLstmSpecCodec as t.Type<ModelSpec, unknown, unknown>,
  multiscale: MultiscaleSpecCodec as t.Type<ModelSpec, unknown, unknown>,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const families: Record<string, ModelFamily<any>> = {
  pixelcnn: pixelCnn,
  'row-lstm': rowLstm,
  'diagonal-bilstm': diagonalBiLstm,
  multiscale,
};

/** Names of every registered family. */
export const familyNames = (): string[] => Object.keys(families);

export const familyOf = <S extends BaseSpec>(spec: S): ModelFamily<S> => {
  const f = families[spec.family];
  if (!f) throw new Error(`unknown model family '${spec.family}'`);
  return f as ModelFamily<S>;
};

/** Rules a codec cannot express, checked after decoding. */
const specRules = (s: ModelSpec): string[] => {
  const errs: string[] = [];
  if (s.family === 'pixelcnn') {
    if (s.head === 'bernoulli' && s.levels !== 2)
      errs.push(`head: 'bernoulli' needs levels = 2, found levels = ${s.levels}`);
    if (s.hidden < s.channels) errs.push(`hidden: expected ≥ channels (${s.channels}), found ${s.hidden}`);
    if (s.headHidden < s.channels) errs.push(`headHidden: expected ≥ channels (${s.channels}), found ${s.headHidden}`);
  }
  if (s.family === 'row-lstm' || s.family === 'diagonal-bilstm') errs.push(...recurrentRules(s));
  if (s.family === 'multiscale') errs.push(...multiscaleRules(s));
  return errs;
};

/** The codec of the family `u` names, or an error naming the known families. */
const familyCodec = (u: unknown, where: string): E.Either<Error, t.Type<ModelSpec, unknown, unknown>> => {
  const family = typeof u === 'object' && u !== null ? (u as { family?: unknown }).family : undefined;
  const codec = typeof family === 'string' ? codecOf[family] : undefined;
  return codec
    ? E.right(codec)
    : E.left(
        new Error(
          `${where}: family: expected ${Object.keys(codecOf).map((f) => `'${f}'`).join(' | ')}, found ${
            family === undefined ? 'nothing' : JSON.stringify(family)
          }`,
        ),
      );
};

/** Decode an unknown value into a model spec, or say every field that is wrong. */
export const decodeSpec = (u: unknown, where = 'model spec'): E.Either<Error, ModelSpec> =>
  pipe(
    familyCodec(u, where),
    E.chain((codec) =>
      pipe(
        codec.decode(u),
        E.mapLeft((errors) => new Error(`${where}: ${formatValidationErrors(errors)}`)),
      ),
    ),
    E.chain((s) => {
      const errs = specRules(s);
      return errs.length ? E.left(new Error(`${where}: ${errs.join('; ')}`)) : E.right(s);
    }),
  );

export const bindModel = <S extends BaseSpec>(
  spec: S,
  params: NamedTensors,
  options: ForwardOptions = { convImpl: defaultConvImpl() },
): AutoregressiveModel<S> => {
  const family = familyOf(spec);
  return { spec, params, logits: (x: Tensor4D) => family.forward(spec, params, x, options) };
};

export const initModel = <S extends BaseSpec>(spec: S, seed: number, options?: ForwardOptions): AutoregressiveModel<S> =>
  bindModel(spec, familyOf(spec).init(spec, seed), options);

type Preset<S extends ModelSpec = ModelSpec> = (shape: { height: number; width: number; channels: 1 | 3; levels: number }) => S;

/** The PixelCNN presets keep their precise type (callers read PixelCNN fields off them). */
type PixelCnnPresets = { paper: Preset<PixelCnnSpec>; reference: Preset<PixelCnnSpec>; small: Preset<PixelCnnSpec>; tiny: Preset<PixelCnnSpec> };

export const presets: PixelCnnPresets & Record<string, Preset> = {
  /** The paper's CIFAR PixelCNN: 15 layers, h = 128. */
  paper: (img) => ({
    family: 'pixelcnn', ...img, hidden: 128, residualLayers: 13, firstKernel: 7, kernel: 3, headHidden: 1024,
    head: img.levels === 2 ? 'bernoulli' : 'softmax',
  }),
  /** DESIGN.md's reference config for training speed. */
  reference: (img) => ({
    family: 'pixelcnn', ...img, hidden: 64, residualLayers: 6, firstKernel: 7, kernel: 3, headHidden: 64,
    head: img.levels === 2 ? 'bernoulli' : 'softmax',
  }),
  /** Small enough to train on a 2-core CPU in a few minutes. */
  small: (img) => ({
    family: 'pixelcnn', ...img, hidden: 32, residualLayers: 4, firstKernel: 7, kernel: 3, headHidden: 32,
    head: img.levels === 2 ? 'bernoulli' : 'softmax',
  }),
  /** For tests: a few hundred weights. */
  tiny: (img) => ({
    family: 'pixelcnn', ...img, hidden: 6, residualLayers: 1, firstKernel: 3, kernel: 3, headHidden: 6,
    head: img.levels === 2 ? 'bernoulli' : 'softmax',
  }),

  // ── PixelRNN (issue 4). Paper: 7×7 mask A first, residual and skip connections on. ──
  /** The paper's binarized-MNIST Diagonal BiLSTM: 7 layers, h = 16. */
  'mnist-diagonal-bilstm': (img) => ({ ...img, ...recurrentBody('diagonal-bilstm', img.levels, 16, 7, 7, 32) }),
  /** A Row LSTM of the same size as the MNIST Diagonal BiLSTM. */
  'mnist-row-lstm': (img) => ({ ...img, ...recurrentBody('row-lstm', img.levels, 16, 7, 7, 32) }),
  /** The paper's CIFAR-10 Row LSTM: 12 layers, h = 128. */
  'cifar-row-lstm': (img) => ({ ...img, ...recurrentBody('row-lstm', img.levels, 128, 12, 7, 1024) }),
  /** The paper's CIFAR-10 Diagonal BiLSTM: 12 layers, h = 128. */
  'cifar-diagonal-bilstm': (img) => ({ ...img, ...recurrentBody('diagonal-bilstm', img.levels, 128, 12, 7, 1024) }),
  /** Small enough to train on a 2-core CPU. */
  'small-row-lstm': (img) => ({ ...img, ...recurrentBody('row-lstm', img.levels, 16, 3, 7, 32) }),
  'small-diagonal-bilstm': (img) => ({ ...img, ...recurrentBody('diagonal-bilstm', img.levels, 16, 3, 7, 32) }),
  /** Multi-Scale: Diagonal BiLSTMs, small image at half resolution. Needs even height and width. */
  'small-multiscale': (img) => ({
    family: 'multiscale', ...img, factor: 2, conditionFeatures: 16,
    small: recurrentBody('diagonal-bilstm', img.levels, 16, 2, 3, 32),
    large: recurrentBody('diagonal-bilstm', img.levels, 16, 3, 7, 32),
  }),
  /** For tests: a few hundred weights each. */
  'tiny-row-lstm': (img) => ({ ...img, ...recurrentBody('row-lstm', img.levels, 3 * img.channels, 1, 3, 2 * img.channels) }),
  'tiny-diagonal-bilstm': (img) => ({
    ...img, ...recurrentBody('diagonal-bilstm', img.levels, 3 * img.channels, 1, 3, 2 * img.channels),
  }),
  'tiny-multiscale': (img) => ({
    family: 'multiscale', ...img, factor: 2, conditionFeatures: 2,
    small: recurrentBody('row-lstm', img.levels, img.channels, 1, 3, img.channels),
    large: recurrentBody('diagonal-bilstm', img.levels, 2 * img.channels, 1, 3, img.channels),
  }),
};

/** The body of a PixelRNN preset: residual and skip connections on, Row LSTM input-to-state 1×3. */
export function recurrentBody(
  family: RecurrentBody['family'], levels: number, hidden: number, layers: number, firstKernel: number, headHidden: number,
): RecurrentBody {
  const common = {
    hidden, layers, firstKernel, headHidden, residual: true, skip: true,
    head: levels === 2 ? ('bernoulli' as const) : ('softmax' as const),
  };
  return family === 'row-lstm' ? { family, ...common, rowKernel: 3 } : { family, ...common };
}

/** Preset for a family and size name: 'small' for pixelcnn, 'small-row-lstm', 'mnist-diagonal-bilstm'… */
export const presetFor = (family: string, name: string): Preset | undefined =>
  family === 'pixelcnn' ? presets[name] : (presets[`${name}-${family}`] ?? presets[name]);

/** Every "family/size" pair that presetFor knows, for messages. */
export const presetNames = (): string[] =>
  Object.keys(presets).map((k) => {
    const fam = familyNames().find((f) => f !== 'pixelcnn' && k.endsWith(`-${f}`));
    return fam ? `${fam}/${k.slice(0, -fam.length - 1)}` : `pixelcnn/${k}`;
  });

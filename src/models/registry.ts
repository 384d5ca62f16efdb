// Every model family by name, the spec codec over all of them, and presets.

import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { formatValidationErrors } from '../data/errors.js';
import type { AutoregressiveModel, BaseSpec, ForwardOptions, ModelFamily } from '../model.js';
import { defaultConvImpl } from '../layers/maskedConv.js';
import type { NamedTensors, Tensor4D } from '../tf.js';
import { pixelCnn } from './pixelcnn.js';
import { PixelCnnSpecCodec, type PixelCnnSpec } from './spec.js';

// New families join here as a t.union of their codecs.
export const ModelSpecCodec = PixelCnnSpecCodec;
export type ModelSpec = PixelCnnSpec;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const families: Record<string, ModelFamily<any>> = { pixelcnn: pixelCnn };

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
  return errs;
};

/** Decode an unknown value into a model spec, or say every field that is wrong. */
export const decodeSpec = (u: unknown, where = 'model spec'): E.Either<Error, ModelSpec> =>
  pipe(
    ModelSpecCodec.decode(u),
    E.mapLeft((errors) => new Error(`${where}: ${formatValidationErrors(errors)}`)),
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

type Preset = (shape: { height: number; width: number; channels: 1 | 3; levels: number }) => ModelSpec;

export const presets: Record<string, Preset> = {
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
};

// The one list of model families. Everything else — decoding specs, training, sampling, the CLI's
// help, the bench, the property library — reads it; a new family is one folder and one line here
// (or a `registerFamily` call from outside the project).

import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { formatValidationErrors } from '../data/errors.js';
import { defaultConvImpl } from '../layers/maskedConv.js';
import { likelihoodFor, likelihoodRules } from '../likelihoods/index.js';
import { requireLabels } from '../conditioning.js';
import type { AutoregressiveModel, BaseSpec, ForwardOptions, Labels, ModelFamily, Preset } from '../model.js';
import type { NamedTensors, Tensor4D } from '../tf.js';
import { diagonalBiLstm } from './diagonalBiLstm/index.js';
import { gatedPixelCnn, type GatedPixelCnnSpec } from './gatedPixelCnn/index.js';
import { multiscale } from './multiscale/index.js';
import { pixelCnn } from './pixelcnn/index.js';
import { pixelCnnPp } from './pixelcnnpp/index.js';
import type { DiagonalBiLstmSpec } from './diagonalBiLstm/index.js';
import type { MultiscaleSpec } from './multiscale/spec.js';
import { pixelCnnPresets, type PixelCnnSpec } from './pixelcnn/spec.js';
import { rowLstm, type RowLstmSpec } from './rowLstm/index.js';

/** The specs of the built-in families. */
export type ModelSpec = PixelCnnSpec | RowLstmSpec | DiagonalBiLstmSpec | MultiscaleSpec | GatedPixelCnnSpec;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFamily = ModelFamily<any>;

const registered = new Map<string, AnyFamily>(
  ([pixelCnn, rowLstm, diagonalBiLstm, multiscale, gatedPixelCnn, pixelCnnPp] as AnyFamily[]).map((f) => [f.family, f]),
);

/** Add a family (from a user's code, say): its specs decode, train, sample and check like any other. */
export const registerFamily = <S extends BaseSpec>(family: ModelFamily<S>): void => {
  registered.set(family.family, family as AnyFamily);
};

/** Every registered family, in registration order. */
export const families = (): AnyFamily[] => [...registered.values()];

/** Names of every registered family. */
export const familyNames = (): string[] => [...registered.keys()];

/** The family of that name, or null. */
export const familyOrNull = (name: string): AnyFamily | null => registered.get(name) ?? null;

export const familyOf = <S extends BaseSpec>(spec: S): ModelFamily<S> => {
  const f = registered.get(spec.family);
  if (!f) throw new Error(`unknown model family '${spec.family}' (known: ${familyNames().join(', ')})`);
  return f as ModelFamily<S>;
};

const quoted = (names: readonly string[]) => names.map((n) => `'${n}'`).join(' | ');

/** The family `u` names, or an error naming the known families. */
const familyNamed = (u: unknown, where: string): E.Either<Error, AnyFamily> => {
  if (typeof u !== 'object' || u === null || Array.isArray(u))
    return E.left(new Error(`${where}: expected an object with a 'family' field, found ${Array.isArray(u) ? 'an array' : JSON.stringify(u) ?? String(u)}`));
  const name = (u as { family?: unknown }).family;
  const f = typeof name === 'string' ? registered.get(name) : undefined;
  return f
    ? E.right(f)
    : E.left(new Error(`${where}: family: expected ${quoted(familyNames())}, found ${name === undefined ? 'nothing' : JSON.stringify(name)}`));
};

/** Decode an unknown value into a model spec, or say every field that is wrong (and nothing unknown passes). */
export const decodeSpec = (u: unknown, where = 'model spec'): E.Either<Error, ModelSpec> =>
  pipe(
    familyNamed(u, where),
    E.chain((family) =>
      pipe(
        family.codec.decode(u) as E.Either<import('io-ts').Errors, BaseSpec>,
        E.mapLeft((errors) => new Error(`${where}: ${formatValidationErrors(errors)}`)),
        E.chain((s) => {
          const errs = [...likelihoodRules(s.likelihood, s), ...(family.rules?.(s) ?? [])];
          return errs.length ? E.left(new Error(`${where}: ${errs.join('; ')}`)) : E.right(s as ModelSpec);
        }),
      ),
    ),
  );

/** A model of a spec's family with these parameters. */
export const bindModel = <S extends BaseSpec>(
  spec: S,
  params: NamedTensors,
  options: ForwardOptions = { convImpl: defaultConvImpl() },
): AutoregressiveModel<S> => {
  const family = familyOf(spec);
  return {
    spec,
    params,
    likelihood: likelihoodFor(spec.likelihood, spec),
    forward: (x: Tensor4D, labels?: Labels) => family.forward(spec, params, x, options, requireLabels(spec, labels, x.shape[0])),
  };
};

export const initModel = <S extends BaseSpec>(spec: S, seed: number, options?: ForwardOptions): AutoregressiveModel<S> =>
  bindModel(spec, familyOf(spec).init(spec, seed), options);

/** A family's preset by name, or an error that lists the presets the family has. */
export const presetFor = (family: string, name: string): E.Either<Error, Preset> => {
  const f = registered.get(family);
  if (!f) return E.left(new Error(`model: expected ${quoted(familyNames())}, found '${family}'`));
  const p = f.presets[name];
  return p ? E.right(p as Preset) : E.left(new Error(`preset: family '${family}' has ${quoted(Object.keys(f.presets))}, found '${name}'`));
};

/** A family's preset by name for scripts and benches: throws the error presetFor would return. */
export const presetOrThrow = (family: string, name: string): Preset => {
  const p = presetFor(family, name);
  if (E.isLeft(p)) throw p.left;
  return p.right;
};

/** Every "family/preset" pair, for messages and help. */
export const presetNames = (): string[] => families().flatMap((f) => Object.keys(f.presets).map((p) => `${f.family}/${p}`));

/** The preset names of one family (none for an unknown family). */
export const presetsOfFamily = (family: string): string[] => Object.keys(families().find((f) => f.family === family)?.presets ?? {});

/** PixelCNN's presets (the README's examples start from these). */
export const presets = pixelCnnPresets;

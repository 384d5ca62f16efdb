// Every likelihood kind by name, the codec of a spec's `likelihood` field, and the metrics
// (bits per dimension) that every likelihood shares.

import * as t from 'io-ts';
import type { ImageShape } from '../model.js';
import { bernoulliKind } from './bernoulli.js';
import { categoricalKind } from './categorical.js';
import { logisticMixtureKind } from './logisticMixture.js';
import type { Likelihood, LikelihoodKind, LikelihoodSpec } from './types.js';

export type { Draw, Likelihood, LikelihoodKind, LikelihoodSpec } from './types.js';
export { categorical, drawFromLogits, softmaxCrossEntropy } from './categorical.js';
export { bernoulli } from './bernoulli.js';
export { logisticMixture } from './logisticMixture.js';

const kinds = new Map<string, LikelihoodKind>([
  [categoricalKind.kind, categoricalKind],
  [bernoulliKind.kind, bernoulliKind],
  [logisticMixtureKind.kind, logisticMixtureKind],
]);

/** Add a likelihood kind (e.g. a discretized logistic mixture) that specs can then name. */
export const registerLikelihood = (kind: LikelihoodKind): void => {
  kinds.set(kind.kind, kind);
};

export const likelihoodKinds = (): LikelihoodKind[] => [...kinds.values()];

/** A spec's `likelihood`: an object with a registered `kind` (its options are checked per kind). */
export const LikelihoodSpecCodec = new t.Type<LikelihoodSpec, LikelihoodSpec, unknown>(
  'LikelihoodSpec',
  (u): u is LikelihoodSpec => typeof u === 'object' && u !== null && typeof (u as { kind?: unknown }).kind === 'string' && kinds.has((u as { kind: string }).kind),
  (u, c) =>
    typeof u === 'object' && u !== null && !Array.isArray(u) && typeof (u as { kind?: unknown }).kind === 'string' && kinds.has((u as { kind: string }).kind)
      ? t.success(u as LikelihoodSpec)
      : t.failure(u, c, `expected { kind: ${[...kinds.keys()].map((k) => `'${k}'`).join(' | ')} }`),
  t.identity,
);

/** What is wrong with a likelihood spec for images of `shape` ([] when nothing). */
export const likelihoodRules = (spec: LikelihoodSpec, shape: ImageShape): string[] => {
  const kind = kinds.get(spec.kind);
  return kind ? kind.check(spec, shape) : [`likelihood.kind: expected ${[...kinds.keys()].map((k) => `'${k}'`).join(' | ')}, found '${spec.kind}'`];
};

/** The likelihood a spec names, for its image shape. */
export const likelihoodFor = (spec: LikelihoodSpec, shape: ImageShape): Likelihood => {
  const kind = kinds.get(spec.kind);
  if (!kind) throw new Error(`unknown likelihood kind '${spec.kind}' (known: ${[...kinds.keys()].join(', ')})`);
  return kind.make(spec, shape);
};

/** The presets' choice: Bernoulli for binary images, categorical otherwise. */
export const defaultLikelihood = (levels: number): LikelihoodSpec => ({ kind: levels === 2 ? 'bernoulli' : 'categorical' });

export const dimensions = (s: ImageShape): number => s.height * s.width * s.channels;

/** Nats per image as bits per dimension. */
export const bitsPerDim = (nllNats: number, s: ImageShape): number => nllNats / (dimensions(s) * Math.LN2);

// Running a law over many models drawn from spec arbitraries, with a fixed seed: fast-check draws
// (spec, weight seed), builds the model, applies the law, frees the weights, and on failure
// shrinks to the smallest spec that still fails and reports that model's counterexample.

import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import type { BaseSpec } from '../src/model.js';
import type { CheckableModel } from './check.js';
import { disposeModel, genericModel, type WeightKind } from './models.js';
import type { CheckResult, Counterexample } from './types.js';

/** A law as a runner needs it: one model in, a result out. */
export type ModelLaw = (model: CheckableModel) => CheckResult | Promise<CheckResult>;

/** Something a property can be run over: an arbitrary and a predicate returning a CheckResult. */
export interface PropertyDef<T> {
  readonly arbitrary: fc.Arbitrary<T>;
  readonly predicate: (value: T) => CheckResult | Promise<CheckResult>;
  /** How to show a failing value (default JSON). */
  readonly show?: (value: T) => string;
}

export interface ModelCase<S extends BaseSpec> {
  readonly spec: S;
  readonly seed: number;
}

export type ModelBuilder<S extends BaseSpec> = (spec: S, seed: number) => CheckableModel;

/** Build real models of the registry (genericModel) with weights of the given kind. */
export const registryBuilder =
  <S extends BaseSpec>(weights: WeightKind = 'signed'): ModelBuilder<S> =>
  (spec, seed) =>
    genericModel(spec, seed, { weights });

/** The property "law holds for every model built from the spec arbitrary". Weights are freed after each run. */
export const modelProperty = <S extends BaseSpec>(
  specArb: fc.Arbitrary<S>,
  law: ModelLaw,
  build: ModelBuilder<S> = registryBuilder<S>(),
): PropertyDef<ModelCase<S>> => ({
  arbitrary: fc.record({ spec: specArb, seed: fc.integer({ min: 0, max: 0x7fffffff }) }),
  predicate: async ({ spec, seed }) => {
    const model = build(spec, seed);
    try {
      return await law(model);
    } finally {
      disposeModel(model);
    }
  },
  show: ({ spec, seed }) => `${JSON.stringify(spec)} weights seed ${seed}`,
});

/** The inverse property, for negative controls: the law must return a counterexample. */
export const mustFail = <T>(p: PropertyDef<T>, label: string): PropertyDef<T> => ({
  ...p,
  predicate: async (v) => {
    const r = await p.predicate(v);
    return E.isLeft(r)
      ? E.right({ law: r.left.law, checks: 1, details: { caught: r.left.message } })
      : E.left({
          law: r.right.law,
          message: `${label}: the law passed a model it must catch (${r.right.checks} checks)`,
        } satisfies Counterexample);
  },
});

export interface RunOptions {
  readonly seed: number;
  readonly runs: number;
  /** Stop drawing new cases after this long (the runs done are reported). */
  readonly timeLimitMs?: number;
}

export interface RunSummary {
  readonly runs: number;
  readonly requestedRuns: number;
  readonly seed: number;
  readonly interrupted: boolean;
  readonly ms: number;
}

export interface RunFailure {
  readonly counterexample: Counterexample;
  /** The smallest failing value fast-check found, shown. */
  readonly value: string;
  readonly seed: number;
  readonly runs: number;
  readonly shrinks: number;
}

/** Run a property with a fixed seed; Left with the shrunk counterexample, Right with the run counts. */
export const runProperty = async <T>(p: PropertyDef<T>, o: RunOptions): Promise<E.Either<RunFailure, RunSummary>> => {
  const t0 = Date.now();
  let last: Counterexample | undefined;
  const property = fc.asyncProperty(p.arbitrary, async (v) => {
    const r = await p.predicate(v);
    if (E.isLeft(r)) last = r.left;
    return E.isRight(r);
  });
  const details = await fc.check(property, {
    seed: o.seed,
    numRuns: o.runs,
    ...(o.timeLimitMs !== undefined ? { plugins: [fc.interruptAfterTimeLimit(o.timeLimitMs)] } : {}),
  });
  if (details.failed) {
    const value = (details.counterexample as unknown as [T] | null)?.[0];
    // Re-run the shrunk value so that the counterexample reported is the smallest one's.
    let counterexample = last;
    if (value !== undefined) {
      const again = await p.predicate(value);
      if (E.isLeft(again)) counterexample = again.left;
    }
    return E.left({
      counterexample: counterexample ?? {
        law: 'causality',
        message: `property threw: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
      },
      value: value === undefined ? '(none)' : p.show ? p.show(value) : JSON.stringify(value),
      seed: o.seed,
      runs: details.numRuns,
      shrinks: details.numShrinks,
    });
  }
  return E.right({ runs: details.numRuns, requestedRuns: o.runs, seed: o.seed, interrupted: details.interrupted, ms: Date.now() - t0 });
};

/** Turn a failure into one readable paragraph. */
export const showFailure = (f: RunFailure): string =>
  [
    f.counterexample.message,
    `  model: ${f.value}`,
    f.counterexample.image ? `  image: [${f.counterexample.image.join(', ')}]` : '',
    `  (seed ${f.seed}, failed after ${f.runs} runs, ${f.shrinks} shrinks)`,
  ]
    .filter((l) => l !== '')
    .join('\n');

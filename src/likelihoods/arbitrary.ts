// Likelihood specs for the property laws: any registered kind that fits K levels.

import fc from 'fast-check';
import type { LikelihoodSpec } from './types.js';

/** Largest K for which the arbitrary draws a logistic mixture (its K-level logProbs cost more than a softmax's). */
const MIXTURE_MAX_LEVELS = 16;

/**
 * Categorical for any K (most often); Bernoulli too when K = 2; a discretized logistic mixture with
 * 1..3 components when K ≤ 16. The mixture's layout and coupling do not depend on K, and its full
 * K-level log-probabilities (what the dependence laws differentiate, once per value) cost ~30× a
 * softmax's at K = 256, which would crowd the other cases out of the suites' time limits; K = 256
 * mixtures are checked in src/likelihoods/logisticMixture*.spec.ts.
 */
export const likelihoodSpecArb = (levels: number): fc.Arbitrary<LikelihoodSpec> => {
  const simple = levels === 2 ? fc.constantFrom<LikelihoodSpec>({ kind: 'categorical' }, { kind: 'bernoulli' }) : fc.constant<LikelihoodSpec>({ kind: 'categorical' });
  if (levels > MIXTURE_MAX_LEVELS) return simple;
  const mixture = fc.integer({ min: 1, max: 3 }).map((components): LikelihoodSpec => ({ kind: 'logistic-mixture', components }));
  return fc.oneof({ weight: 3, arbitrary: simple }, { weight: 1, arbitrary: mixture });
};

// Likelihood specs for the property laws: any registered kind that fits K levels.

import fc from 'fast-check';
import type { LikelihoodSpec } from './types.js';

/**
 * Categorical for any K (most often); a discretized logistic mixture with 1..3 components for any K
 * (small, to keep the property suites fast); Bernoulli too when K = 2.
 */
export const likelihoodSpecArb = (levels: number): fc.Arbitrary<LikelihoodSpec> =>
  fc.oneof(
    { weight: 3, arbitrary: levels === 2 ? fc.constantFrom<LikelihoodSpec>({ kind: 'categorical' }, { kind: 'bernoulli' }) : fc.constant<LikelihoodSpec>({ kind: 'categorical' }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((components): LikelihoodSpec => ({ kind: 'logistic-mixture', components })) },
  );

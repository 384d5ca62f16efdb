// Likelihood specs for the property laws: any registered kind that fits K levels.

import fc from 'fast-check';
import type { LikelihoodSpec } from './types.js';

/** Categorical for any K; Bernoulli too when K = 2. */
export const likelihoodSpecArb = (levels: number): fc.Arbitrary<LikelihoodSpec> =>
  levels === 2
    ? fc.constantFrom<LikelihoodSpec>({ kind: 'categorical' }, { kind: 'bernoulli' })
    : fc.constant<LikelihoodSpec>({ kind: 'categorical' });

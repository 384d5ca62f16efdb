// The project's samplers (streams/sample.ts over src/sampling: the cached PixelCNN sampler and the
// naive rerun-everything one) draw from the distribution the likelihood scores, and are
// deterministic in the seed — checked with the same laws as the reference sampler in props.

import { describe } from 'vitest';
import { naiveSampler } from '../src/sampling/naive.js';
import { pixelCnnSpecArb } from './arbitraries.js';
import { modelProperty, registryBuilder } from './runner.js';
import { fromIncremental, streamSampler } from './sampler.js';
import { lawSetups } from './suite.js';
import { propertyTest } from './vitest.js';

const samplers = [
  { name: 'the sampling stream with the cached PixelCNN sampler', sampler: streamSampler({ cached: true }) },
  { name: 'the sampling stream with the naive sampler', sampler: streamSampler({ cached: false }) },
  { name: 'src/sampling/naive.ts driven directly', sampler: fromIncremental(naiveSampler) },
];

describe('project samplers', () => {
  samplers.forEach(({ name, sampler }, k) => {
    const setups = lawSetups(sampler);
    for (const law of ['sampler-agreement', 'determinism'] as const) {
      const setup = setups[law];
      propertyTest(
        `${name}: ${law === 'determinism' ? 'the same seed gives the same samples' : 'samples follow the likelihood (χ², α = 1e-4)'}`,
        modelProperty(pixelCnnSpecArb(setup.constraints), setup.check, registryBuilder(setup.weights)),
        { seed: 500 + k, runs: law === 'determinism' ? 4 : 8, timeLimitMs: 15_000 },
      );
    }
  });
});

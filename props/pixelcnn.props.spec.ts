// Every law holds for real PixelCNNs (src/models/pixelcnn.ts) drawn from the spec arbitraries,
// C = 1 and 3, on the wasm backend with gather convolutions, run exactly as the negative controls
// are (props/suite.ts lawSetups), plus causality once more with the family's own signed weights.
// Run counts are printed; PROPS_SEED and PROPS_RUNS (e.g. "x4") run deeper.

import { describe } from 'vitest';
import { pixelCnnSpecArb } from './arbitraries.js';
import { checkCausality } from './check.js';
import { modelProperty, registryBuilder } from './runner.js';
import { lawSetups } from './suite.js';
import type { ModelLawName } from './types.js';
import { propertyTest } from './vitest.js';

const setups = lawSetups();

const sentences: Record<ModelLawName, string> = {
  causality: 'no logit moves when a later value, or a channel ≥ c of its own pixel, changes (gradient and perturbation)',
  'channel-order': 'R sees no channel of its pixel, G sees exactly R, B sees exactly R and G',
  'full-past': 'the dependence set equals the receptive field the masks define (nothing more, nothing less)',
  normalisation: 'the probabilities of every possible image sum to 1 (within 1e-4)',
  'sampler-agreement': 'samples drawn at temperature 1 follow the likelihood (χ², false-alarm rate 1e-4 per check)',
  determinism: 'the same seed gives the same samples',
};

const budget: Record<ModelLawName, { runs: number; timeLimitMs: number }> = {
  causality: { runs: 25, timeLimitMs: 25_000 },
  'channel-order': { runs: 40, timeLimitMs: 10_000 },
  'full-past': { runs: 40, timeLimitMs: 20_000 },
  normalisation: { runs: 40, timeLimitMs: 10_000 },
  'sampler-agreement': { runs: 12, timeLimitMs: 15_000 },
  determinism: { runs: 10, timeLimitMs: 10_000 },
};

describe('PixelCNN', () => {
  (Object.keys(setups) as ModelLawName[]).forEach((law, k) => {
    const setup = setups[law];
    const constraints = law === 'channel-order' ? { ...setup.constraints, channels: [3] as const } : setup.constraints;
    propertyTest(
      sentences[law],
      modelProperty(pixelCnnSpecArb(constraints), setup.check, registryBuilder(setup.weights)),
      { seed: 101 + k, ...budget[law] },
    );
  });

  propertyTest(
    'causality also holds with the family’s own initial (signed) weights at random images',
    modelProperty(pixelCnnSpecArb(), (m) => checkCausality(m, { images: 2, seed: 1 }), registryBuilder('signed')),
    { seed: 110, runs: 15, timeLimitMs: 20_000 },
  );
});

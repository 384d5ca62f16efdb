// Every law holds for real PixelCNNs (src/models/pixelcnn.ts) drawn from the spec arbitraries,
// C = 1 and 3, on the wasm backend with gather convolutions. Run counts are printed; PROPS_SEED and
// PROPS_RUNS (e.g. "x4") run deeper.

import { describe } from 'vitest';
import { pixelCnnSpecArb } from './arbitraries.js';
import {
  checkCausality,
  checkChannelOrder,
  checkDeterminism,
  checkFullPast,
  checkNormalisation,
  checkSamplerAgreement,
} from './check.js';
import { upperHalfImages } from './models.js';
import { modelProperty, registryBuilder } from './runner.js';
import { propertyTest } from './vitest.js';

const positive = registryBuilder('positive');

describe('PixelCNN', () => {
  propertyTest(
    'no logit moves when a later value, or a channel ≥ c of its own pixel, changes (gradient and perturbation)',
    modelProperty(pixelCnnSpecArb(), (m) => checkCausality(m, { images: 2, seed: 1 })),
    { seed: 101, runs: 30, timeLimitMs: 30_000 },
  );

  propertyTest(
    'R sees no channel of its pixel, G sees exactly R, B sees exactly R and G',
    modelProperty(
      pixelCnnSpecArb({ channels: [3], maxHeight: 5, maxWidth: 5 }),
      (m) => checkChannelOrder(m, { images: upperHalfImages(m.spec, 1, 7), method: 'gradient' }),
      positive,
    ),
    { seed: 102, runs: 40, timeLimitMs: 15_000 },
  );

  propertyTest(
    'the dependence set equals the receptive field the masks define (nothing more, nothing less)',
    modelProperty(
      pixelCnnSpecArb(),
      (m) => checkFullPast(m, { images: upperHalfImages(m.spec, 1, 9), method: 'gradient' }),
      positive,
    ),
    { seed: 103, runs: 40, timeLimitMs: 20_000 },
  );

  propertyTest(
    'the probabilities of every possible image sum to 1 (within 1e-4)',
    modelProperty(pixelCnnSpecArb({ maxImages: 4096 }), (m) => checkNormalisation(m)),
    { seed: 104, runs: 40, timeLimitMs: 15_000 },
  );

  propertyTest(
    'samples drawn at temperature 1 follow the likelihood (χ², false alarms 1e-3)',
    modelProperty(pixelCnnSpecArb({ maxImages: 64 }), (m) => checkSamplerAgreement(m, { samples: 2000, seed: 5, alpha: 1e-3 })),
    { seed: 105, runs: 12, timeLimitMs: 15_000 },
  );

  propertyTest(
    'the same seed gives the same samples',
    modelProperty(pixelCnnSpecArb({ maxHeight: 4, maxWidth: 4 }), (m) => checkDeterminism(m, { samples: 8, seed: 3 })),
    { seed: 106, runs: 10, timeLimitMs: 10_000 },
  );
});

// Negative controls: every deliberately broken model is caught by every law that should catch it,
// and passes the laws it does not break (so each law says what it claims). The unbroken twin of the
// hand-written stack passes every law. If any control passes a law listed in its caughtBy, this
// suite fails.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { pixelCnnSpecArb } from './arbitraries.js';
import { controls, faithfulStack, samplerControls } from './controls.js';
import { checkCausality, checkDeterminism, checkSamplerAgreement } from './check.js';
import { disposeModel, genericModel, upperHalfImages } from './models.js';
import { modelProperty, mustFail, type ModelBuilder } from './runner.js';
import { lawSetups } from './suite.js';
import type { PixelCnnSpec } from '../src/models/pixelcnn/spec.js';
import { propertyTest } from './vitest.js';

const setups = lawSetups();
// Controls are drawn up to 5×5: every break shows at that size, and the budget goes to more runs.
const lawsForControls = ['causality', 'channel-order', 'full-past', 'normalisation', 'sampler-agreement'] as const;

describe('negative controls are caught', () => {
  controls.forEach((control, k) => {
    for (const law of control.caughtBy) {
      const setup = setups[law];
      const build: ModelBuilder<PixelCnnSpec> = (s, seed) => control.build(s, seed, setup.weights);
      propertyTest(
        `${law} catches ${control.name} (${control.description})`,
        mustFail(modelProperty(pixelCnnSpecArb({ maxHeight: 5, maxWidth: 5, ...setup.constraints }).filter(control.applies), setup.check, build), control.name),
        { seed: 200 + k, runs: 12, timeLimitMs: 10_000 },
      );
    }
    for (const law of control.passes) {
      const setup = setups[law];
      const build: ModelBuilder<PixelCnnSpec> = (s, seed) => control.build(s, seed, setup.weights);
      propertyTest(
        `${law} does not flag ${control.name} (it breaks something else)`,
        modelProperty(pixelCnnSpecArb({ maxHeight: 5, maxWidth: 5, ...setup.constraints }).filter(control.applies), setup.check, build),
        { seed: 300 + k, runs: 5, timeLimitMs: 10_000 },
      );
    }
  });

  for (const law of lawsForControls) {
    const setup = setups[law];
    propertyTest(
      `the unbroken hand-written stack passes ${law}`,
      modelProperty(pixelCnnSpecArb(setup.constraints), setup.check, (s, seed) => faithfulStack(s, seed, setup.weights)),
      { seed: 400, runs: 5, timeLimitMs: 10_000 },
    );
  }

  it('every control is caught by at least one law, and each law has a control', () => {
    for (const c of controls) expect(c.caughtBy.length).toBeGreaterThan(0);
    const caught = new Set([...controls.flatMap((c) => c.caughtBy), ...samplerControls.flatMap((c) => c.caughtBy)]);
    for (const law of [...lawsForControls, 'determinism' as const]) expect(caught.has(law)).toBe(true);
  });

  it('a counterexample names the logit, the input that changed and by how much', () => {
    const spec: PixelCnnSpec = {
      family: 'pixelcnn', height: 2, width: 3, channels: 3, levels: 4, hidden: 6, residualLayers: 1, firstKernel: 3,
      kernel: 3, headHidden: 6, likelihood: { kind: 'categorical' },
    };
    const m = controls.find((c) => c.name === 'peek-ahead')!.build(spec, 1, 'positive');
    try {
      const r = checkCausality(m, { images: upperHalfImages(spec, 1, 1), method: 'perturbation' });
      expect(E.isLeft(r)).toBe(true);
      if (E.isLeft(r)) {
        // The earliest logit that sees ahead is G at (0, 0): its mask-A centre tap reads R of the
        // shifted input, which is R at (0, 1).
        expect(r.left.law).toBe('causality');
        expect(r.left.position).toEqual({ i: 0, j: 0, c: 1 });
        expect(r.left.input).toEqual({ i: 0, j: 1, c: 0 });
        expect(r.left.from).toBe(r.left.image![3]);
        expect(r.left.to).not.toBe(r.left.from);
        expect(r.left.delta).toBeGreaterThan(0);
        expect(r.left.message).toMatch(/logit at \(i=0, j=0, c=1\) depends on the input at \(i=0, j=1, c=0\)/);
      }
    } finally {
      disposeModel(m);
    }
  });
});

describe('sampler controls are caught', () => {
  const spec: PixelCnnSpec = {
    family: 'pixelcnn', height: 2, width: 2, channels: 1, levels: 2, hidden: 4, residualLayers: 1, firstKernel: 3,
    kernel: 3, headHidden: 4, likelihood: { kind: 'categorical' },
  };
  for (const c of samplerControls)
    it(`${c.caughtBy.join(', ')} catches ${c.name}`, async () => {
      for (const seed of [1, 2, 3]) {
        const m = genericModel(spec, seed);
        try {
          for (const law of c.caughtBy) {
            const r =
              law === 'determinism'
                ? await checkDeterminism(m, { sampler: c.sampler, samples: 64, seed })
                : await checkSamplerAgreement(m, { sampler: c.sampler, samples: 2000, seed });
            expect(E.isLeft(r), `${c.name} passed ${law} with weights seed ${seed}`).toBe(true);
          }
        } finally {
          disposeModel(m);
        }
      }
    });
});

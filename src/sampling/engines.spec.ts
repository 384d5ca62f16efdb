// The cached samplers on both engines of their per-pixel work (sampling/pixelMemory.ts): our wasm
// kernels where the network runs them, plain JS elsewhere (a browser page, the cpu backend, our
// kernels switched off). Every registered family with a cached sampler, at its tiny preset with
// C = 3 (channel groups) and K = 4: the sampler law (identical images, heads within 1e-4 of the
// naive rerun) on each engine, and a lagged sampler caught on each (negative control).
import { afterAll, describe, expect, it } from 'vitest';
import { setCausalConvKernels } from '../kernels/causalConv.js';
import type { AutoregressiveModel } from '../model.js';
import { familyNames, familyOrNull, initModel, presetOrThrow } from '../models/registry.js';
import { disposeAll } from '../train/step.js';
import { cachedMatchesNaive, compareSamplers, laggedSampler } from './equivalence.js';
import { naiveSampler } from './naive.js';
import { PixelMemory } from './pixelMemory.js';
import { samplerFor } from './session.js';

const models: AutoregressiveModel[] = familyNames()
  .filter((name) => familyOrNull(name)?.cachedSampler)
  .map((name) => initModel(presetOrThrow(name, 'tiny')({ height: 4, width: 4, channels: 3, levels: 4 }), 2));
afterAll(() => models.forEach((m) => disposeAll(m.params)));

const withEngine = <T>(engine: 'wasm' | 'js', run: () => T): T => {
  if (engine === 'wasm') return run();
  setCausalConvKernels(false); // 'auto' then picks the js engine, as in a browser page
  try {
    return run();
  } finally {
    setCausalConvKernels(true);
  }
};

describe('cached samplers on both engines of their per-pixel work', () => {
  it('covers every family with a cached sampler', () => {
    expect(models.map((m) => m.spec.family).sort()).toEqual(familyNames().filter((n) => familyOrNull(n)?.cachedSampler).sort());
    expect(models.length).toBeGreaterThanOrEqual(5);
  });
  for (const engine of ['wasm', 'js'] as const)
    it(`${engine}: every cached sampler ≡ the naive rerun; a lagged one is caught`, () => {
      withEngine(engine, () => {
        expect(new PixelMemory().build === 'js').toBe(engine === 'js');
        for (const model of models) {
          const report = cachedMatchesNaive(model, { batch: 3, seed: 4 });
          expect(report.failure, `${model.spec.family} (${engine})`).toBeNull();
          expect(report.ok).toBe(true);
          const lagged = compareSamplers(model, naiveSampler, laggedSampler(samplerFor(model, true)), { batch: 2, seed: 4 });
          expect(lagged.ok, `${model.spec.family} (${engine}) lagged`).toBe(false);
        }
      });
    });
});

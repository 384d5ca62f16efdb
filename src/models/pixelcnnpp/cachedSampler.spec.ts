// PixelCNN++'s cached sampler ≡ rerunning the network (the equivalence law of src/sampling/
// equivalence.ts): identical images and heads within 1e-4 at every step, over odd sizes (the three
// resolutions round up), both likelihoods, completions and labels; negative controls: a sampler
// that sees each value one step late, and one that read other weights, are caught.
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { AutoregressiveModel } from '../../model.js';
import { Rng } from '../../rng.js';
import { cachedMatchesNaive, compareSamplers, laggedSampler } from '../../sampling/equivalence.js';
import { naiveSampler } from '../../sampling/naive.js';
import { resolveSampleOptions } from '../../sampling/options.js';
import { sampleAll, samplerFor } from '../../sampling/session.js';
import { tf } from '../../tf.js';
import { disposeAll } from '../../train/step.js';
import { initModel } from '../registry.js';
import { cachedPixelCnnPpSampler } from './cachedSampler.js';
import { pixelCnnPpPresets, type PixelCnnPpSpec } from './spec.js';

const models: AutoregressiveModel[] = [];
afterAll(() => models.forEach((m) => disposeAll(m.params)));

const tiny = (height: number, width: number, channels: 1 | 3, levels: number, over: Partial<PixelCnnPpSpec> = {}, seed = 1) => {
  const m = initModel({ ...pixelCnnPpPresets.tiny({ height, width, channels, levels }), ...over } as PixelCnnPpSpec, seed);
  models.push(m);
  return m;
};

describe('cached PixelCNN++ sampler ≡ rerunning the network', () => {
  const cases: [string, () => AutoregressiveModel][] = [
    ['C=1, K=2 Bernoulli, 5×4', () => tiny(5, 4, 1, 2)],
    ['C=1, K=4 mixture, 7×5 (every level odd), nrResnet 2, 6 filters', () => tiny(7, 5, 1, 4, { nrResnet: 2, nrFilters: 6 })],
    ['C=3, K=256 mixture, 4×4', () => tiny(4, 4, 3, 256)],
    ['C=3, K=16, 8×8 (three full resolutions), 3 components', () => tiny(8, 8, 3, 16, { likelihood: { kind: 'logistic-mixture', components: 3 } })],
    ['C=1, K=4 categorical, 1×6 and 6×1', () => tiny(1, 6, 1, 4, { likelihood: { kind: 'categorical' } })],
    ['C=1, 6×1', () => tiny(6, 1, 1, 4)],
    ['C=3, K=256 at the small preset’s widths (32 filters: our wasm kernels on the naive side), 5×6', () => {
      const m = initModel(pixelCnnPpPresets.small({ height: 5, width: 6, channels: 3, levels: 256 }), 3);
      models.push(m);
      return m;
    }],
  ];
  for (const [name, make] of cases)
    it(`${name}: identical images, heads within 1e-4 at every step`, () => {
      const model = make();
      const report = cachedMatchesNaive(model, { batch: 2, seed: 9 });
      expect(report.failure).toBeNull();
      expect(report).toMatchObject({ ok: true, imagesEqual: true });
      const { height: H, width: W, channels: C } = model.spec;
      expect(report.steps).toBe(H * W * C);
      expect(report.maxHeadDiff).toBeLessThan(1e-4);
    }, 120_000);

  it('agrees on completions (known rows fed through the caches) and at other temperatures', () => {
    const model = tiny(5, 4, 3, 4, {}, 2);
    const rng = Rng.fromSeed(3);
    const known = [0, 1].map(() => Uint8Array.from({ length: 60 }, () => rng.int(4)));
    const report = cachedMatchesNaive(model, { batch: 2, seed: 1, keepRows: 3, known });
    expect(report.failure).toBeNull();
    expect(report).toMatchObject({ ok: true, steps: 2 * 4 * 3 });
    expect(cachedMatchesNaive(model, { temperature: 0.5, seed: 2 }).ok).toBe(true);
    expect(cachedMatchesNaive(model, { temperature: 0, seed: 2 }).ok).toBe(true);
  });

  it('negative control: a sampler that sees each value one step late is caught (C = 1 and C = 3)', () => {
    for (const model of [tiny(4, 4, 1, 4, {}, 5), tiny(3, 3, 3, 4, {}, 5)]) {
      const report = compareSamplers(model, naiveSampler, laggedSampler(cachedPixelCnnPpSampler), { seed: 1 });
      expect(report.ok).toBe(false);
      expect(report.failure).toMatch(/differ at \(row \d+, col \d+, channel \d\)/);
    }
  });

  it('negative control: a sampler that read another model’s weights is caught', () => {
    const a = tiny(3, 3, 1, 4, {}, 6);
    const b = tiny(3, 3, 1, 4, {}, 7);
    expect(compareSamplers(a, naiveSampler, (_m, batch) => cachedPixelCnnPpSampler(b, batch)).ok).toBe(false);
  });

  for (const channels of [1, 3] as const)
    it(`class-conditional, C = ${channels}: equals the naive sampler given the labels; wrong labels are caught`, () => {
      const m = tiny(4, 3, channels, 4, { classes: 3 } as Partial<PixelCnnPpSpec>, 8);
      const labels = Int32Array.from([2, 0, 1]);
      const r = compareSamplers(m, naiveSampler, samplerFor(m), { batch: 3, seed: 4, labels });
      expect(r.failure).toBeNull();
      const swapped = (model: AutoregressiveModel, batch: number) => cachedPixelCnnPpSampler(model, batch, Int32Array.from([0, 0, 1]));
      expect(compareSamplers(m, naiveSampler, swapped, { batch: 3, seed: 4, labels }).ok).toBe(false);
      expect(() => cachedPixelCnnPpSampler(m, 3)).toThrow('cachedPixelCnnPp: a class-conditional model needs 3 labels, found none');
    });

  it('is the family’s default sampler, streams through the one loop, refuses positions passed and use after dispose, keeps the tensor count flat', () => {
    const m = tiny(3, 3, 1, 4);
    expect(samplerFor(m)(m, 1).kind).toBe('cached-pixelcnn++');
    const s = cachedPixelCnnPpSampler(m, 1);
    s.headAt(0, 0, 0);
    s.commit(0, 0, 0, [1]);
    s.headAt(0, 2, 0);
    expect(() => s.headAt(0, 1, 0)).toThrow('cachedPixelCnnPp: headAt(0, 1, 0) asked after that position was passed');
    s.dispose();
    expect(() => s.headAt(1, 0, 0)).toThrow('cachedPixelCnnPp: sampler used after dispose');
    expect(() => cachedPixelCnnPpSampler({ ...m, spec: { ...m.spec, family: 'pixelcnn' } as never }, 1)).toThrow(
      "cachedPixelCnnPp: expected family 'pixelcnn++', found 'pixelcnn'",
    );
    const before = tf.memory().numTensors;
    const o = E.getOrElseW(() => {
      throw new Error('bad options');
    })(resolveSampleOptions(m.spec, { count: 2 }));
    const cached = sampleAll(m, o);
    const naive = sampleAll(m, o, naiveSampler);
    expect(cached).toEqual(naive);
    expect(tf.memory().numTensors).toBe(before);
  });
});

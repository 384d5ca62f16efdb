import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { AutoregressiveModel } from '../../model.js';
import { Rng } from '../../rng.js';
import { cachedMatchesNaive, cachedSamplerAgrees, compareSamplers, laggedSampler } from '../../sampling/equivalence.js';
import { naiveSampler } from '../../sampling/naive.js';
import { resolveSampleOptions } from '../../sampling/options.js';
import { sampleAll, samplerFor } from '../../sampling/session.js';
import { tf } from '../../tf.js';
import { disposeAll } from '../../train/step.js';
import { initModel } from '../registry.js';
import { cachedGatedPixelCnnSampler } from './cachedSampler.js';
import { gatedPixelCnnPresets, type GatedPixelCnnSpec } from './spec.js';

const models: AutoregressiveModel[] = [];
afterAll(() => models.forEach((m) => disposeAll(m.params)));

const tiny = (height: number, width: number, channels: 1 | 3, levels: number, over: Partial<GatedPixelCnnSpec> = {}, seed = 1) => {
  const m = initModel({ ...gatedPixelCnnPresets.tiny({ height, width, channels, levels }), ...over } as GatedPixelCnnSpec, seed);
  models.push(m);
  return m;
};

describe('cached Gated PixelCNN sampler ≡ rerunning the network', () => {
  const cases: [string, () => AutoregressiveModel][] = [
    ['C=1, K=2 Bernoulli likelihood', () => tiny(5, 4, 1, 2)],
    ['C=1, K=2 categorical likelihood, 3 layers', () => tiny(4, 4, 1, 2, { likelihood: { kind: 'categorical' }, layers: 3 })],
    ['C=1, K=4, 5×5 first layer, 5×5 layers', () => tiny(5, 6, 1, 4, { firstKernel: 5, kernel: 5, layers: 3 })],
    ['C=3, K=4', () => tiny(4, 3, 3, 4)],
    ['C=3, K=256', () => tiny(3, 3, 3, 256)],
    ['C=3, K=2 Bernoulli, p=7 (uneven groups), head 5, 7×7 first, 3 layers', () => tiny(4, 5, 3, 2, { hidden: 7, headHidden: 5, firstKernel: 7, layers: 3 })],
    ['C=3, K=4, 1×1 layers after the first', () => tiny(3, 4, 3, 4, { kernel: 1, layers: 3 })],
    ['C=3, K=4, one layer', () => tiny(3, 4, 3, 4, { layers: 1 })],
    ['C=3, K=256 at the small preset’s widths (p=32: our wasm kernels run the naive side)', () => {
      const m = initModel(gatedPixelCnnPresets.small({ height: 5, width: 5, channels: 3, levels: 256 }), 3);
      models.push(m);
      return m;
    }],
    ['C=3, K=256 at the paper preset’s widths (p=128, 15 layers, head 1024) on 3×3', () => {
      const m = initModel(gatedPixelCnnPresets.paper({ height: 3, width: 3, channels: 3, levels: 256 }), 4);
      models.push(m);
      return m;
    }],
  ];
  for (const [name, make] of cases)
    it(`${name}: identical images, heads within 1e-4 at every step`, () => {
      const model = make();
      const report = cachedMatchesNaive(model, { batch: 3, seed: 9 });
      expect(report.failure).toBeNull();
      expect(report).toMatchObject({ ok: true, imagesEqual: true });
      const { height: H, width: W, channels: C } = model.spec;
      expect(report.steps).toBe(H * W * C);
      expect(report.maxHeadDiff).toBeLessThan(1e-4);
    });

  it('agrees on completions (known rows fed through the caches)', () => {
    const model = tiny(5, 4, 3, 4, { layers: 3 }, 2);
    const rng = Rng.fromSeed(3);
    const known = [0, 1].map(() => Uint8Array.from({ length: 60 }, () => rng.int(4)));
    const report = cachedMatchesNaive(model, { batch: 2, seed: 1, keepRows: 2, known });
    expect(report.failure).toBeNull();
    expect(report).toMatchObject({ ok: true, steps: 3 * 4 * 3 });
  });

  it('agrees at other temperatures; the predicate form says true', () => {
    const model = tiny(3, 3, 3, 4, {}, 4);
    expect(cachedSamplerAgrees(model, { temperature: 0.5, seed: 2 })).toBe(true);
    expect(cachedSamplerAgrees(model, { temperature: 0, seed: 2 })).toBe(true);
  });

  it('negative control: a sampler that sees each value one step late is caught (C = 1 and C = 3)', () => {
    for (const model of [tiny(4, 4, 1, 4, {}, 5), tiny(3, 3, 3, 4, { hidden: 9, headHidden: 9 }, 5)])
      for (const inner of [cachedGatedPixelCnnSampler, naiveSampler]) {
        const report = compareSamplers(model, naiveSampler, laggedSampler(inner), { seed: 1 });
        expect(report.ok).toBe(false);
        expect(report.failure).toMatch(/differ at \(row \d+, col \d+, channel \d\)/);
      }
  });

  it('negative control: a model whose weights differ from the one the cache read is caught', () => {
    const a = tiny(3, 3, 1, 4, {}, 6);
    const b = tiny(3, 3, 1, 4, {}, 7);
    expect(compareSamplers(a, naiveSampler, (_m, batch) => cachedGatedPixelCnnSampler(b, batch)).ok).toBe(false);
  });

  it('is the family’s default sampler; refuses positions asked out of order and use after dispose', () => {
    const m = tiny(3, 3, 1, 4);
    expect(samplerFor(m)(m, 1).kind).toBe('cached-gated-pixelcnn');
    const s = cachedGatedPixelCnnSampler(m, 1);
    s.headAt(0, 0, 0);
    s.commit(0, 0, 0, [1]);
    s.headAt(0, 2, 0);
    expect(() => s.headAt(0, 1, 0)).toThrow('cachedGatedPixelCnn: headAt(0, 1, 0) asked after that position was passed');
    s.dispose();
    expect(() => s.headAt(1, 0, 0)).toThrow('cachedGatedPixelCnn: sampler used after dispose');
    const other = tiny(2, 2, 1, 4);
    expect(() => cachedGatedPixelCnnSampler({ ...other, spec: { ...other.spec, family: 'pixelcnn' } as never }, 1)).toThrow(
      "cachedGatedPixelCnn: expected family 'gated-pixelcnn', found 'pixelcnn'",
    );
  });

  it('keeps the tensor count flat across a whole run', () => {
    const m = tiny(4, 4, 3, 4);
    const before = tf.memory().numTensors;
    const o = E.getOrElseW(() => {
      throw new Error('bad options');
    })(resolveSampleOptions(m.spec, { count: 2 }));
    sampleAll(m, o, naiveSampler);
    sampleAll(m, o, cachedGatedPixelCnnSampler);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('cached Gated PixelCNN sampler, class-conditional', () => {
  for (const channels of [1, 3] as const)
    it(`C = ${channels}: equals the naive sampler given the labels; a lagged one and the wrong labels are caught`, () => {
      const m = tiny(3, 4, channels, 4, { classes: 3, layers: 2 } as Partial<GatedPixelCnnSpec>, 8);
      const labels = Int32Array.from([2, 0, 1]);
      const r = compareSamplers(m, naiveSampler, samplerFor(m), { batch: 3, seed: 4, labels });
      expect(r.failure).toBeNull();
      expect(r.steps).toBe(3 * 4 * channels);
      expect(compareSamplers(m, naiveSampler, laggedSampler(samplerFor(m)), { batch: 3, seed: 4, labels }).ok).toBe(false);
      const swapped = (model: AutoregressiveModel, batch: number) => cachedGatedPixelCnnSampler(model, batch, Int32Array.from([0, 0, 1]));
      expect(compareSamplers(m, naiveSampler, swapped, { batch: 3, seed: 4, labels }).ok).toBe(false);
      expect(() => cachedGatedPixelCnnSampler(m, 3)).toThrow('cachedGatedPixelCnn: a class-conditional model needs 3 labels, found none');
    });
});

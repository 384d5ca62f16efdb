import { afterAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { drawFromLogits as drawValue } from '../likelihoods/categorical.js';
import type { AutoregressiveModel, BaseSpec } from '../model.js';
import { cachedPixelCnnSampler } from '../models/pixelcnn/cachedSampler.js';
import type { PixelCnnSpec } from '../models/pixelcnn/spec.js';
import { bindModel, initModel, presets } from '../models/registry.js';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';
import { disposeAll } from '../train/step.js';
import { cachedMatchesNaive, cachedSamplerAgrees, compareSamplers, laggedSampler } from './equivalence.js';
import { renderLive } from './liveView.js';
import { naiveSampler } from './naive.js';
import { resolveSampleOptions } from './options.js';
import { sampleAll, samplerFor } from './session.js';

const models: AutoregressiveModel[] = [];
const tiny = (height: number, width: number, channels: 1 | 3, levels: number, over: Partial<PixelCnnSpec> = {}, seed = 1) => {
  const m = initModel({ ...presets.tiny({ height, width, channels, levels }), ...over } as PixelCnnSpec, seed);
  models.push(m);
  return m;
};

describe('cached PixelCNN sampler ≡ rerunning the network', () => {
  const cases: [string, AutoregressiveModel][] = [
    ['C=1, K=2 Bernoulli likelihood', tiny(5, 4, 1, 2)],
    ['C=1, K=2 categorical likelihood', tiny(4, 4, 1, 2, { likelihood: { kind: 'categorical' } })],
    ['C=1, K=4', tiny(5, 4, 1, 4)],
    ['C=3, K=4', tiny(4, 3, 3, 4)],
    ['C=3, K=256', tiny(3, 3, 3, 256)],
    ['C=3, K=2 bernoulli, h=7 (uneven groups), 5×5 first, 2 residual', tiny(4, 5, 3, 2, { hidden: 7, headHidden: 5, firstKernel: 5, residualLayers: 2 })],
    ['C=3, K=256 at the reference widths (h=64, 6 residual layers, 7×7 first)', (() => {
      const m = initModel(presets.reference({ height: 6, width: 5, channels: 3, levels: 256 }), 3);
      models.push(m);
      return m;
    })()],
    ['C=3, K=4, 1×1 residual kernels, no residual layers', tiny(3, 4, 3, 4, { kernel: 1, residualLayers: 0, firstKernel: 1 })],
  ];
  for (const [name, model] of cases)
    it(`${name}: identical images, heads within 1e-4 at every step`, () => {
      const report = cachedMatchesNaive(model, { batch: 3, seed: 9 });
      expect(report.failure).toBeNull();
      expect(report).toMatchObject({ ok: true, imagesEqual: true });
      const { height: H, width: W, channels: C } = model.spec;
      expect(report.steps).toBe(H * W * C);
      expect(report.maxHeadDiff).toBeLessThan(1e-4);
    });

  it('agrees on completions (known rows fed through the caches)', () => {
    const model = tiny(5, 4, 3, 4, {}, 2);
    const rng = Rng.fromSeed(3);
    const known = [0, 1].map(() => Uint8Array.from({ length: 60 }, () => rng.int(4)));
    const report = cachedMatchesNaive(model, { batch: 2, seed: 1, keepRows: 2, known });
    expect(report).toMatchObject({ ok: true, steps: 3 * 4 * 3 });
  });

  it('agrees at other temperatures; the predicate form says true', () => {
    const model = tiny(3, 3, 3, 4, {}, 4);
    expect(cachedSamplerAgrees(model, { temperature: 0.5, seed: 2 })).toBe(true);
    expect(cachedSamplerAgrees(model, { temperature: 0, seed: 2 })).toBe(true);
  });

  it('negative control: a sampler that sees each value one step late is caught (C = 1 and C = 3)', () => {
    for (const model of [tiny(4, 4, 1, 4, {}, 5), tiny(3, 3, 3, 4, { hidden: 12, headHidden: 12 }, 5)]) {
      for (const inner of [cachedPixelCnnSampler, naiveSampler]) {
        const report = compareSamplers(model, naiveSampler, laggedSampler(inner), { seed: 1 });
        expect(report.ok).toBe(false);
        expect(report.failure).toMatch(/differ at \(row \d+, col \d+, channel \d\)/);
      }
    }
  });

  it('negative control: a model whose weights differ from the one the cache read is caught', () => {
    const a = tiny(3, 3, 1, 4, {}, 6);
    const b = tiny(3, 3, 1, 4, {}, 7);
    const report = compareSamplers(a, naiveSampler, (_m, batch) => cachedPixelCnnSampler(b, batch));
    expect(report.ok).toBe(false);
  });

  it('refuses positions asked out of order', () => {
    const s = cachedPixelCnnSampler(tiny(3, 3, 1, 4), 1);
    s.headAt(0, 0, 0);
    s.commit(0, 0, 0, [1]);
    s.headAt(0, 2, 0);
    expect(() => s.headAt(0, 1, 0)).toThrow('cachedPixelCnn: headAt(0, 1, 0) asked after that position was passed');
  });

  it("the family's cached sampler unless asked otherwise, naive for unregistered families", () => {
    const m = tiny(2, 2, 1, 4);
    expect(samplerFor(m)(m, 1).kind).toBe('cached-pixelcnn');
    expect(samplerFor(m, false)(m, 1).kind).toBe('naive');
    const stranger = { ...m, spec: { ...m.spec, family: 'not-registered' } as BaseSpec };
    expect(samplerFor(stranger)).toBe(naiveSampler);
    void bindModel;
  });

  it('keeps the tensor count flat across a whole run', () => {
    const m = tiny(4, 4, 3, 4);
    const before = tf.memory().numTensors;
    const o = E.getOrElseW(() => { throw new Error('bad'); })(resolveSampleOptions(m.spec, { count: 2 }));
    sampleAll(m, o, naiveSampler);
    sampleAll(m, o, cachedPixelCnnSampler);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('drawValue', () => {
  it('draws in proportion to softmax(logits / T) and reports the temperature-1 probability', () => {
    const logits = [Math.log(1), Math.log(3)]; // p = 1/4, 3/4
    const rng = Rng.fromSeed(1);
    let ones = 0;
    for (let n = 0; n < 4000; n++) ones += drawValue(logits, 0, 2, 1, rng).value;
    expect(ones / 4000).toBeGreaterThan(0.72);
    expect(ones / 4000).toBeLessThan(0.78);
    let hot = 0; // T = 2: p ∝ 1, √3 → 0.634
    for (let n = 0; n < 4000; n++) hot += drawValue(logits, 0, 2, 2, rng).value;
    expect(hot / 4000).toBeGreaterThan(0.6);
    expect(hot / 4000).toBeLessThan(0.67);
    const d = drawValue(logits, 0, 2, 2, rng);
    expect(d.probability).toBeCloseTo(d.value === 1 ? 0.75 : 0.25, 12);
    expect(drawValue([0, 5, 5, 1], 0, 4, 0, rng)).toEqual({ value: 1, probability: Math.exp(0) / (2 + Math.exp(-5) + Math.exp(-4)) });
  });
});

describe('sample options', () => {
  const shape = { height: 4, width: 4, channels: 1 as const, levels: 4 };
  it('fills defaults', () => {
    expect(resolveSampleOptions(shape, { count: 40 })).toEqual(
      E.right({ count: 40, batchSize: 16, seed: 0, temperature: 1, keepRows: 0, known: null, cached: true, labels: null }),
    );
  });
  it('names every bad field', () => {
    const r = resolveSampleOptions(shape, { count: -1, batchSize: 0, keepRows: 9, temperature: NaN });
    expect(E.isLeft(r) && r.left.message).toBe(
      'sample options: count: expected an integer ≥ 0, found -1; batchSize: expected an integer ≥ 1, found 0; temperature: expected a finite number ≥ 0, found NaN; keepRows: expected an integer in 0..4, found 9; known: expected -1 images when keepRows > 0, found none',
    );
    const k = resolveSampleOptions(shape, { known: [new Uint8Array(16).fill(7)], keepRows: 1 });
    expect(E.isLeft(k) && k.left.message).toBe('sample options: known[0]: expected levels < 4, found 7');
    expect(E.isLeft(resolveSampleOptions({ ...shape, levels: 1024 }, {}))).toBe(true);
  });
});

describe('live view', () => {
  const shape = { height: 3, width: 2, channels: 3 as const, levels: 4 };
  const pixels = Uint8Array.from([3, 0, 0, 0, 3, 0, 0, 0, 3, 3, 3, 3, 1, 1, 1, 2, 2, 2]);
  it('draws two rows per line with ▀, fg = upper pixel, bg = lower pixel, 24-bit colour', () => {
    const out = renderLive(pixels, shape);
    const lines = out.split('\n');
    expect(lines).toHaveLength(3); // ⌈3 / 2⌉ picture lines + status
    expect(lines[0]).toBe('\x1b[38;2;255;0;0m\x1b[48;2;0;0;255m▀\x1b[38;2;0;255;0m\x1b[48;2;255;255;255m▀\x1b[0m');
    expect(lines[1]).toBe('\x1b[0m\x1b[38;2;85;85;85m▀\x1b[0m\x1b[38;2;170;170;170m▀\x1b[0m');
    expect(lines[2]).toBe('done  100%');
  });
  it('draws unsampled positions as a placeholder and reports progress; grey ramp mode', () => {
    const out = renderLive(pixels, shape, { row: 0, col: 1 }, { colour: 'grey' });
    const lines = out.split('\n');
    expect(lines[0]).toBe('\x1b[38;5;239m\x1b[48;5;236m▀\x1b[38;5;246m\x1b[48;5;236m▀\x1b[0m');
    expect(lines[2]).toBe('row 1/3, col 2/2  33%');
    const grey = renderLive(Uint8Array.from([0, 1]), { height: 1, width: 2, channels: 1, levels: 2 }, undefined, { status: false });
    expect(grey).toBe('\x1b[0m\x1b[38;2;0;0;0m▀\x1b[0m\x1b[38;2;255;255;255m▀\x1b[0m');
  });
});

afterAll(() => models.forEach((m) => disposeAll(m.params)));

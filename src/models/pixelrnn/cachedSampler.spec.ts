import { afterAll, describe, expect, it } from 'vitest';
import type { AutoregressiveModel } from '../../model.js';
import { Rng } from '../../rng.js';
import { cachedMatchesNaive, compareSamplers, laggedSampler } from '../../sampling/equivalence.js';
import { naiveSampler } from '../../sampling/naive.js';
import { samplerFor } from '../../sampling/session.js';
import { tf, type NamedTensors } from '../../tf.js';
import { disposeAll } from '../../train/step.js';
import { tinyDiagonalBiLstmSpec } from '../diagonalBiLstm/index.js';
import { bindModel, initModel } from '../registry.js';
import { tinyRowLstmSpec } from '../rowLstm/index.js';
import { cachedPixelRnnSampler } from './cachedSampler.js';
import type { RecurrentSpec } from './network.js';

const owned: NamedTensors[] = [];
afterAll(() => disposeAll(...owned));

/**
 * A model whose biases and learned initial states are random too (fresh ones are zero, which would
 * hide mistakes in the skew's padding states and in the initial row).
 */
const model = (spec: RecurrentSpec, seed = 1): AutoregressiveModel => {
  const rng = Rng.fromSeed(seed, 99);
  const fresh = initModel(spec, seed).params;
  const params: NamedTensors = {};
  for (const [name, t] of Object.entries(fresh)) {
    if (/\.(b|h0|c0)$/.test(name)) {
      params[name] = tf.tidy(() => tf.add(t, tf.tensor(Float32Array.from({ length: t.size }, () => 0.7 * rng.normal()), t.shape)));
      t.dispose();
    } else params[name] = t;
  }
  owned.push(params);
  return bindModel(spec, params);
};

type Img = { height: number; width: number; channels: 1 | 3; levels: number };
const families = [
  ['Row LSTM', (img: Img, o: Partial<RecurrentSpec>) => tinyRowLstmSpec(img, o as object) as RecurrentSpec],
  ['Diagonal BiLSTM', (img: Img, o: Partial<RecurrentSpec>) => tinyDiagonalBiLstmSpec(img, o as object) as RecurrentSpec],
] as const;

describe.each(families)('cached %s sampler ≡ rerunning the network', (name, specOf) => {
  const cases: [string, Img, Partial<RecurrentSpec>][] = [
    ['C=1, K=2 bernoulli, residual and skip', { height: 4, width: 4, channels: 1, levels: 2 }, { layers: 2 }],
    ['C=1, K=4 softmax, no residual, no skip', { height: 4, width: 3, channels: 1, levels: 4 }, { layers: 2, residual: false, skip: false }],
    ['C=3, K=2, h=7 (uneven groups), residual only', { height: 3, width: 4, channels: 3, levels: 2 }, { layers: 2, hidden: 7, headHidden: 5, skip: false }],
    ['C=3, K=4, skip only, 5×5 first', { height: 3, width: 3, channels: 3, levels: 4 }, { layers: 2, residual: false, firstKernel: 5 }],
  ];
  for (const [label, img, over] of cases)
    it(`${label}: identical images, heads within 1e-4 at every step`, () => {
      const m = model(specOf(img, over), 3);
      const report = compareSamplers(m, naiveSampler, cachedPixelRnnSampler, { batch: 2, seed: 5 });
      expect(report.failure).toBeNull();
      expect(report).toMatchObject({ ok: true, imagesEqual: true, steps: img.height * img.width * img.channels });
      expect(report.maxHeadDiff).toBeLessThan(1e-4);
    });

  it('is the registered cached sampler and agrees on completions (known rows fed through the caches)', () => {
    const m = model(specOf({ height: 4, width: 3, channels: 3, levels: 4 }, {}), 4);
    expect(samplerFor(m)(m, 1).kind).toBe(name === 'Row LSTM' ? 'cached-row-lstm' : 'cached-diagonal-bilstm');
    const rng = Rng.fromSeed(3);
    const known = [0, 1].map(() => Uint8Array.from({ length: 36 }, () => rng.int(4)));
    const report = cachedMatchesNaive(m, { batch: 2, seed: 1, keepRows: 2, known, temperature: 0.7 });
    expect(report).toMatchObject({ ok: true, steps: 2 * 3 * 3 });
  });

  it('negative control: a sampler that sees each value one step late is rejected', () => {
    for (const channels of [1, 3] as const) {
      const m = model(specOf({ height: 3, width: 3, channels, levels: 4 }, {}), 6);
      const report = compareSamplers(m, naiveSampler, laggedSampler(cachedPixelRnnSampler), { batch: 2, seed: 2 });
      expect(report.ok).toBe(false);
      expect(report.failure).toMatch(/differ at/);
    }
  });

  it('holds no tensors, refuses a position already past, and refuses use after dispose', () => {
    const m = model(specOf({ height: 3, width: 3, channels: 1, levels: 2 }, {}), 7);
    const before = tf.memory().numTensors;
    const s = cachedPixelRnnSampler(m, 2);
    s.headAt(0, 0, 0);
    s.commit(0, 0, 0, [1, 0]);
    s.headAt(0, 1, 0);
    expect(() => s.headAt(0, 0, 0)).toThrow(/already past/);
    s.dispose();
    expect(() => s.headAt(0, 1, 0)).toThrow(/after dispose/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

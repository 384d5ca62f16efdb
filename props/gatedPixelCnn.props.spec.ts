// Gated PixelCNN (src/models/gatedPixelCnn/) under every law of props/suite.ts lawSetups, on small
// specs, run exactly as the negative controls are; and its receptive field beside PixelCNN's: the
// whole past for Gated PixelCNN (no blind spot), PixelCNN's blind spot still found.

import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { AutoregressiveModel } from '../src/model.js';
import { gatedLayout, gatedPixelCnnField, gatedPixelCnnSpecArb, type GatedLayout, type GatedPixelCnnSpec } from '../src/models/gatedPixelCnn/index.js';
import { gatedForwardWith, gatedPixelCnnForward } from '../src/models/gatedPixelCnn/network.js';
import { bindModel, familyOf } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import type { PixelCnnSpec } from '../src/models/pixelcnn/spec.js';
import { checkCausality, checkFullPast } from './check.js';
import { allowedField, pixelCnnField, unionDependence, type Dependence } from './field.js';
import { disposeModel, genericModel, positiveParams, upperHalfImages } from './models.js';
import { modelProperty, mustFail, registryBuilder } from './runner.js';
import { lawSetups } from './suite.js';
import { flatIndex, type ModelLawName } from './types.js';
import { propertyTest } from './vitest.js';

const setups = lawSetups();
const small = { maxHeight: 4, maxWidth: 4, maxHidden: 6 };

const budget: Record<ModelLawName, { runs: number; timeLimitMs: number }> = {
  causality: { runs: 25, timeLimitMs: 20_000 },
  'channel-order': { runs: 30, timeLimitMs: 15_000 },
  'full-past': { runs: 40, timeLimitMs: 20_000 },
  normalisation: { runs: 40, timeLimitMs: 10_000 },
  'sampler-agreement': { runs: 12, timeLimitMs: 15_000 },
  determinism: { runs: 10, timeLimitMs: 10_000 },
};

const same = (a: Dependence, b: Dependence): boolean => a.has.every((v, k) => v === b.has[k]);

const gated = (o: Partial<GatedPixelCnnSpec>): GatedPixelCnnSpec => ({
  family: 'gated-pixelcnn', height: 5, width: 5, channels: 1, levels: 4, likelihood: { kind: 'categorical' },
  hidden: 4, layers: 4, firstKernel: 3, kernel: 3, headHidden: 4, ...o,
});
const pixelCnn = (o: Partial<PixelCnnSpec>): PixelCnnSpec => ({
  family: 'pixelcnn', height: 5, width: 5, channels: 1, levels: 4, likelihood: { kind: 'categorical' },
  hidden: 4, residualLayers: 2, firstKernel: 3, kernel: 3, headHidden: 4, ...o,
});

describe('Gated PixelCNN', () => {
  (Object.keys(setups) as ModelLawName[]).forEach((law, k) => {
    const setup = setups[law];
    const constraints = { ...small, ...setup.constraints, ...(law === 'channel-order' ? { channels: [3] as const } : {}) };
    propertyTest(
      `${law} holds`,
      modelProperty(gatedPixelCnnSpecArb(constraints), setup.check, registryBuilder(setup.weights)),
      { seed: 700 + k, ...budget[law] },
    );
  });

  propertyTest(
    'causality also holds with the family’s own initial (signed) weights at random images',
    modelProperty(
      // at least 3 head units per channel group: with one, a ReLU off at every image measured leaves
      // no gradient at all, which checkCausality rightly reports as a blind check
      gatedPixelCnnSpecArb(small).map((s) => ({ ...s, hidden: Math.max(s.hidden, 9), headHidden: Math.max(s.headHidden, 9) })),
      (m) => checkCausality(m, { images: 4, seed: 1 }),
      registryBuilder('signed'),
    ),
    { seed: 710, runs: 10, timeLimitMs: 20_000 },
  );

  it('sees the whole past (checkFullPast passes, the field is allowedField) where PixelCNN keeps its blind spot', () => {
    // Gated PixelCNN, 4 layers of 3×3 on a 5×5 image: enough rows and columns for every pixel.
    for (const channels of [1, 3] as const) {
      const g = gated({ channels, hidden: 2 * channels });
      expect(same(gatedPixelCnnField(g), allowedField(g))).toBe(true);
      const model = genericModel(g, 3, { weights: 'positive' });
      try {
        const r = checkFullPast(model, { images: upperHalfImages(g, 1, 9), method: 'gradient' });
        expect(E.isRight(r) ? null : r.left.message).toBeNull();
        const againstAllowed = checkFullPast(model, { images: upperHalfImages(g, 1, 9), method: 'gradient', reference: allowedField(g) });
        expect(E.isRight(againstAllowed)).toBe(true);
      } finally {
        disposeModel(model);
      }
    }
    // PixelCNN, a 3-layer 3×3 stack on the same 5×5 image: its reference field is not the whole
    // past, and the measured dependence of a real model says the same (the law finds the blind spot).
    const s = pixelCnn({});
    expect(same(pixelCnnField(s), allowedField(s))).toBe(false);
    const p = flatIndex(s, { i: 2, j: 2, c: 0 });
    expect(allowedField(s).has[p * 25 + flatIndex(s, { i: 1, j: 4, c: 0 })]).toBe(1);
    expect(pixelCnnField(s).has[p * 25 + flatIndex(s, { i: 1, j: 4, c: 0 })]).toBe(0); // the blind spot
    const model = genericModel(s, 3, { weights: 'positive' });
    try {
      expect(E.isRight(checkFullPast(model, { images: upperHalfImages(s, 1, 9), method: 'gradient' }))).toBe(true);
      const r = checkFullPast(model, { images: upperHalfImages(s, 1, 9), method: 'gradient', reference: allowedField(s) });
      expect(E.isLeft(r) && r.left.kind).toBe('missing');
    } finally {
      disposeModel(model);
    }
    // Deeper PixelCNNs keep it: 6 layers of 3×3 still miss pixels the order allows.
    expect(same(pixelCnnField(pixelCnn({ residualLayers: 5 })), allowedField(s))).toBe(false);
  });

  it('negative control: a shallow Gated PixelCNN does not reach the far past, and the law says so against allowedField', () => {
    const g = gated({ height: 5, width: 5, layers: 1 });
    expect(same(gatedPixelCnnField(g), allowedField(g))).toBe(false);
    const model = genericModel(g, 4, { weights: 'positive' });
    try {
      expect(E.isRight(checkFullPast(model, { images: upperHalfImages(g, 1, 9), method: 'gradient' }))).toBe(true);
      const r = checkFullPast(model, { images: upperHalfImages(g, 1, 9), method: 'gradient', reference: allowedField(g) });
      expect(E.isLeft(r) && r.left.kind).toBe('missing');
    } finally {
      disposeModel(model);
    }
  });

  propertyTest(
    'negative control: the full-past law rejects a model measured against PixelCNN’s (blind) field',
    mustFail(
      modelProperty(
        // 3×3 layers, at least two, on at least 3×3 images: where PixelCNN's blind spot begins
        gatedPixelCnnSpecArb({ minHeight: 3, maxHeight: 4, minWidth: 3, maxWidth: 4, maxHidden: 4 }).map((s) => ({
          ...s,
          layers: Math.max(2, s.layers),
          firstKernel: 3,
          kernel: 3,
        })),
        (m) => {
          const s = m.spec as GatedPixelCnnSpec;
          const blind = pixelCnnField({ ...s, family: 'pixelcnn', residualLayers: s.layers - 1 });
          return checkFullPast(m, { images: upperHalfImages(s, 1, 9), method: 'gradient', reference: blind });
        },
        registryBuilder('positive'),
      ),
      'PixelCNN field',
    ),
    { seed: 720, runs: 8, timeLimitMs: 15_000 },
  );

  it('negative control: a first vertical layer that reads its own row (the shift the paper adds, left out) is caught by the causality law', () => {
    for (const channels of [1, 3] as const) {
      const s = gated({ height: 4, width: 4, channels, hidden: 2 * channels, layers: 2 });
      const good = gatedLayout(s);
      const v0 = good.layers[0]!.vertical;
      const leaky: GatedLayout = { ...good, layers: [{ ...good.layers[0]!, vertical: { ...v0, taps: (v0.cy + 1) * v0.kw } }, ...good.layers.slice(1)] };
      const init = familyOf(s).init(s, 5);
      init[`${v0.name}.w`]!.dispose();
      init[`${v0.name}.w`] = tf.randomNormal([(v0.cy + 1) * v0.kw * channels, v0.outFeatures], 0, 0.3, 'float32', 5);
      const params = positiveParams(init, 5);
      Object.values(init).forEach((t) => t.dispose());
      const opts = { convImpl: 'gather' as const, inputGradient: true };
      const broken: AutoregressiveModel = { ...bindModel(s, params, opts), forward: (x) => gatedForwardWith(leaky)(s, params, x, opts) };
      const correct: AutoregressiveModel = { ...bindModel(s, params, opts), forward: (x) => gatedPixelCnnForward(s, params, x, opts) };
      try {
        const r = checkCausality(broken, { images: upperHalfImages(s, 1, 5), seed: 1 });
        expect(E.isLeft(r)).toBe(true);
        expect(E.isLeft(r) && r.left.message).toMatch(/depends on the input at .*, which comes at or after it/);
        // the same weights without the leak: the extra row's weights are simply never read
        const fixed = { ...params, [`${v0.name}.w`]: tf.slice(params[`${v0.name}.w`]!, [0, 0], [v0.cy * v0.kw * channels, v0.outFeatures]) };
        const ok = checkCausality({ ...correct, params: fixed, forward: (x) => gatedPixelCnnForward(s, fixed, x, opts) }, { images: upperHalfImages(s, 1, 5), seed: 1 });
        expect(E.isRight(ok) ? null : ok.left.message).toBeNull();
        fixed[`${v0.name}.w`]!.dispose();
      } finally {
        Object.values(params).forEach((t) => t.dispose());
      }
    }
  });

  it('the reference field is contained in what the order allows, for every spec, and grows with depth', () => {
    fc.assert(
      fc.property(gatedPixelCnnSpecArb({ maxHeight: 6, maxWidth: 6 }), (s) => {
        const f = gatedPixelCnnField(s);
        const allowed = allowedField(s);
        expect(Array.from(unionDependence(f, allowed).has)).toEqual(Array.from(allowed.has));
        const deeper = gatedPixelCnnField({ ...s, layers: s.layers + 1 });
        expect(Array.from(unionDependence(f, deeper).has)).toEqual(Array.from(deeper.has));
      }),
      { seed: 7, numRuns: 60 },
    );
  });
});

// PixelCNN++ under every law of the property library (props/suite.ts lawSetups, run exactly as the
// negative controls are) on small specs drawn from its arbitrary, checkAll on the tiny preset, and
// its receptive field: the two streams together see the whole strict past (no blind spot) — with
// the logistic mixture adding a pixel's channels < c — against twins with one shift removed, which
// the causality law must catch.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { checkAll, failures } from '../../../props/suite.js';
import { checkCausality, checkFullPast } from '../../../props/check.js';
import { allowedField, pixelCnnField, type Dependence } from '../../../props/field.js';
import { disposeModel, genericModel, positiveParams, upperHalfImages } from '../../../props/models.js';
import { modelProperty, mustFail, registryBuilder } from '../../../props/runner.js';
import { lawSetups } from '../../../props/suite.js';
import type { ModelLawName } from '../../../props/types.js';
import { propertyTest } from '../../../props/vitest.js';
import type { AutoregressiveModel } from '../../model.js';
import { tf, type Tensor4D } from '../../tf.js';
import { bindModel, familyOf, presetOrThrow } from '../registry.js';
import { pixelCnnPpSpecArb } from './arbitrary.js';
import { pixelCnnPpField } from './field.js';
import { pixelCnnPpForwardWith, pixelCnnPpLayout } from './network.js';
import type { PixelCnnPpSpec } from './spec.js';

const setups = lawSetups();
const small = { maxHeight: 4, maxWidth: 4, maxFilters: 6, maxResnet: 1 };

const budget: Record<ModelLawName, { runs: number; timeLimitMs: number }> = {
  causality: { runs: 20, timeLimitMs: 25_000 },
  'channel-order': { runs: 20, timeLimitMs: 20_000 },
  'full-past': { runs: 25, timeLimitMs: 25_000 },
  normalisation: { runs: 25, timeLimitMs: 15_000 },
  'sampler-agreement': { runs: 8, timeLimitMs: 20_000 },
  determinism: { runs: 8, timeLimitMs: 10_000 },
};

const same = (a: Dependence, b: Dependence): boolean => a.has.every((v, k) => v === b.has[k]);

const tiny = (shape: { height: number; width: number; channels: 1 | 3; levels: number }): PixelCnnPpSpec =>
  presetOrThrow('pixelcnn++', 'tiny')(shape) as PixelCnnPpSpec;

describe('PixelCNN++ under every law', () => {
  (Object.keys(setups) as ModelLawName[]).forEach((law, k) => {
    const setup = setups[law];
    const constraints = { ...small, ...setup.constraints, ...(law === 'channel-order' ? { channels: [3] as const } : {}) };
    propertyTest(
      `${law} holds`,
      modelProperty(pixelCnnPpSpecArb(constraints), setup.check, registryBuilder(setup.weights)),
      { seed: 1400 + k, ...budget[law] },
      180_000,
    );
  });

  propertyTest(
    'causality also holds with the family’s own initial (signed) weights at random images',
    modelProperty(pixelCnnPpSpecArb(small), (m) => checkCausality(m, { images: 2, seed: 1 }), registryBuilder('signed')),
    { seed: 1410, runs: 8, timeLimitMs: 20_000 },
  );

  it('checkAll: every law holds for the tiny preset (grey K = 4 with sampler agreement; RGB with the mixture; binary)', async () => {
    for (const shape of [
      { height: 2, width: 2, channels: 1 as const, levels: 4 },
      { height: 2, width: 2, channels: 3 as const, levels: 2 },
      { height: 3, width: 3, channels: 1 as const, levels: 2 },
    ]) {
      const s = tiny(shape);
      const model = genericModel(s, 11, { weights: 'positive' });
      try {
        const report = await checkAll(model, { seed: 2 });
        expect(failures(report)).toEqual([]);
        expect(Object.keys(report)).toEqual(expect.arrayContaining(['causality', 'channel-order', 'full-past', 'normalisation', 'determinism']));
        if (shape.levels === 4) expect(report['sampler-agreement']).toBeDefined();
      } finally {
        disposeModel(model);
      }
    }
  }, 180_000);
});

describe('PixelCNN++ receptive field', () => {
  it('the tiny preset sees the whole strict past up to 7×7 (every channel of every earlier pixel, and R → G → B by the mixture), measured too', () => {
    for (const [h, w] of [[7, 7], [4, 7], [3, 5]] as const) {
      const s = tiny({ height: h, width: w, channels: 1, levels: 4 });
      expect(same(pixelCnnPpField(s), allowedField(s))).toBe(true);
    }
    const rgb = tiny({ height: 5, width: 5, channels: 3, levels: 4 });
    expect(same(pixelCnnPpField(rgb), allowedField(rgb))).toBe(true);
    // measured: the dependence set of a real tiny model is the whole past (gradient through positive weights)
    const model = genericModel(rgb, 3, { weights: 'positive' });
    // a small head: positive weights through 26 blocks make log-scales so large that 1/s underflows
    // to 0 at some pixels, and a mixture of infinitely wide logistics depends on nothing
    const params = model.params as Record<string, tf.Tensor>;
    const head = params['head.w']!;
    params['head.w'] = tf.mul(head, 1e-3);
    head.dispose();
    try {
      const r = checkFullPast(model, { images: upperHalfImages(rgb, 1, 9), method: 'gradient', reference: allowedField(rgb) });
      expect(E.isRight(r) ? null : r.left.message).toBeNull();
    } finally {
      disposeModel(model);
    }
    // PixelCNN of similar depth keeps its blind spot on the same image
    const pcnn = { family: 'pixelcnn', height: 5, width: 5, channels: 1, levels: 4, likelihood: { kind: 'categorical' }, hidden: 4, residualLayers: 5, firstKernel: 3, kernel: 3, headHidden: 4 } as const;
    expect(same(pixelCnnField(pcnn), allowedField(pcnn))).toBe(false);
  }, 120_000);

  it('the field grows with depth and is never more than the past; nrResnet 1 at 8×8 misses exactly the far ends of odd rows, nrResnet 2 sees everything', () => {
    const one = tiny({ height: 8, width: 8, channels: 1, levels: 4 });
    const f1 = pixelCnnPpField(one);
    const allowed = allowedField(one);
    const missing: string[] = [];
    for (let p = 0; p < 64; p++)
      for (let q = 0; q < 64; q++) {
        expect(f1.has[p * 64 + q]! <= allowed.has[p * 64 + q]!).toBe(true);
        if (allowed.has[p * 64 + q] && !f1.has[p * 64 + q]) missing.push(`(${p >> 3},${p & 7})←(${q >> 3},${q & 7})`);
      }
    // (its row's reach at full resolution is 6 columns: the down pass starts from the coarse map)
    expect(missing).toEqual(['(1,0)←(0,7)', '(1,7)←(1,0)', '(3,0)←(2,7)', '(3,7)←(3,0)', '(5,0)←(4,7)', '(5,7)←(5,0)', '(7,0)←(6,7)', '(7,7)←(7,0)']);
    expect(same(pixelCnnPpField({ ...one, nrResnet: 2 }), allowed)).toBe(true);
  });

  it('negative control: the full-past law rejects a real model measured against a field with a pair taken out', () => {
    const s = tiny({ height: 3, width: 3, channels: 1, levels: 4 });
    const reference = pixelCnnPpField(s);
    const holed: Dependence = { size: reference.size, has: Uint8Array.from(reference.has) };
    holed.has[8 * 9 + 0] = 0; // the last pixel "does not see" the first
    const model = genericModel(s, 4, { weights: 'positive' });
    try {
      expect(E.isRight(checkFullPast(model, { images: upperHalfImages(s, 1, 9), method: 'gradient', reference }))).toBe(true);
      const r = checkFullPast(model, { images: upperHalfImages(s, 1, 9), method: 'gradient', reference: holed });
      expect(E.isLeft(r) && r.left.message).toMatch(/./);
    } finally {
      disposeModel(model);
    }
  });

  for (const removed of ['down', 'right'] as const)
    it(`negative control: a twin without its first ${removed} shift sees its own pixel, and the causality law says so`, () => {
      for (const channels of [1, 3] as const) {
        const s = tiny({ height: 3, width: 3, channels, levels: 4 });
        const init = familyOf(s).init(s, 5);
        const params = positiveParams(init, 5);
        Object.values(init).forEach((t) => t.dispose());
        const opts = { convImpl: 'gather' as const, inputGradient: true };
        const shifts = removed === 'down' ? { down: (x: Tensor4D) => x, right: undefined } : { down: undefined, right: (x: Tensor4D) => x };
        const layout = pixelCnnPpLayout(s);
        const twin = pixelCnnPpForwardWith(layout, {
          down: shifts.down ?? ((x) => tf.tidy(() => tf.pad(tf.slice(x, [0, 0, 0, 0], [x.shape[0], x.shape[1] - 1, x.shape[2], x.shape[3]]), [[0, 0], [1, 0], [0, 0], [0, 0]]) as Tensor4D)),
          right: shifts.right ?? ((x) => tf.tidy(() => tf.pad(tf.slice(x, [0, 0, 0, 0], [x.shape[0], x.shape[1], x.shape[2] - 1, x.shape[3]]), [[0, 0], [0, 0], [1, 0], [0, 0]]) as Tensor4D)),
        });
        const broken: AutoregressiveModel = { ...bindModel(s, params, opts), forward: (x) => twin(s, params, x, opts) };
        const correct: AutoregressiveModel = { ...bindModel(s, params, opts), forward: (x) => pixelCnnPpForwardWith(layout)(s, params, x, opts) };
        try {
          const r = checkCausality(broken, { images: upperHalfImages(s, 1, 5), seed: 1 });
          expect(E.isLeft(r) && r.left.message).toMatch(/depends on the input at .*, which comes at or after it/);
          const ok = checkCausality(correct, { images: upperHalfImages(s, 1, 5), seed: 1 });
          expect(E.isRight(ok) ? null : ok.left.message).toBeNull();
        } finally {
          Object.values(params).forEach((t) => t.dispose());
        }
      }
    });

  propertyTest(
    'negative control: the full-past law rejects models measured against PixelCNN’s (blind) field',
    mustFail(
      modelProperty(
        pixelCnnPpSpecArb({ minHeight: 3, maxHeight: 4, minWidth: 3, maxWidth: 4, maxFilters: 4, channels: [1], maxResnet: 1 }),
        (m) => {
          const s = m.spec as PixelCnnPpSpec;
          const blind = pixelCnnField({ ...s, family: 'pixelcnn', hidden: 4, residualLayers: 2, firstKernel: 3, kernel: 3, headHidden: 4 } as never);
          return checkFullPast(m, { images: upperHalfImages(s, 1, 9), method: 'gradient', reference: blind });
        },
        registryBuilder('positive'),
      ),
      'PixelCNN field',
    ),
    { seed: 1420, runs: 5, timeLimitMs: 15_000 },
  );
});

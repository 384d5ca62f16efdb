// The runners on single models: the two measurements agree, a blind gradient is reported, nothing
// leaks tensors, images are enumerated in counting order.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { initModel } from '../src/models/registry.js';
import type { PixelCnnSpec } from '../src/models/pixelcnn/spec.js';
import { tf } from '../src/tf.js';
import {
  allImages,
  checkCausality,
  checkChannelOrder,
  checkDeterminism,
  checkFullPast,
  checkNormalisation,
  checkSamplerAgreement,
} from './check.js';
import { gradientDependence, perturbationDependence } from './dependence.js';
import { disposeModel, genericModel, upperHalfImages } from './models.js';

const spec: PixelCnnSpec = {
  family: 'pixelcnn', height: 2, width: 3, channels: 3, levels: 4, hidden: 6, residualLayers: 1, firstKernel: 3,
  kernel: 3, headHidden: 6, likelihood: { kind: 'categorical' },
};

describe('runners', () => {
  it('gradient and perturbation measure the same dependence set (positive weights)', () => {
    const m = genericModel(spec, 3, { weights: 'positive' });
    try {
      const images = upperHalfImages(spec, 2, 3);
      const g = gradientDependence(m, images);
      const p = perturbationDependence(m, images);
      expect(Array.from(g.dependence.has)).toEqual(Array.from(p.dependence.has));
      expect(g.dependence.has.includes(1)).toBe(true);
    } finally {
      disposeModel(m);
    }
  });

  it('report a gradient check that cannot see anything (no gradient into x)', () => {
    const m = initModel({ ...spec, family: 'pixelcnn' }, 1, { convImpl: 'gather', inputGradient: false });
    try {
      const r = checkCausality(m, { images: 1 });
      expect(E.isLeft(r) && r.left.message).toMatch(/no gradient flows into the input x/);
      expect(E.isRight(checkCausality(m, { images: 1, method: 'perturbation' }))).toBe(true);
    } finally {
      disposeModel(m);
    }
  });

  it('leave no tensors behind', async () => {
    const tiny: PixelCnnSpec = { ...spec, height: 2, width: 1, levels: 2 };
    const m = genericModel(tiny, 1, { weights: 'positive' });
    try {
      const before = tf.memory().numTensors;
      checkCausality(m, { images: 1 });
      checkChannelOrder(m, { images: 1 });
      checkFullPast(m, { images: 1 });
      checkNormalisation(m);
      await checkSamplerAgreement(m, { samples: 100 });
      await checkDeterminism(m);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      disposeModel(m);
    }
  });

  it('enumerate every image in counting order, last value fastest', () => {
    expect(allImages({ height: 1, width: 2, channels: 1, levels: 3 })).toEqual([
      [0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2], [2, 0], [2, 1], [2, 2],
    ]);
    expect(() => allImages({ height: 4, width: 4, channels: 3, levels: 256 })).toThrow(/props\/check.ts/);
  });

  it('refuse to enumerate large shapes, and full past without a reference, with a reason', async () => {
    const m = genericModel({ ...spec, height: 8, width: 8, levels: 256 }, 1);
    try {
      const n = checkNormalisation(m);
      expect(E.isLeft(n) && n.left.message).toMatch(/cannot enumerate/);
      const s = await checkSamplerAgreement(m);
      expect(E.isLeft(s) && s.left.message).toMatch(/cannot enumerate/);
      const f = checkFullPast({ ...m, spec: { ...m.spec, family: 'mine' } }, { images: 1 });
      expect(E.isLeft(f) && f.left.message).toMatch(/no reference receptive field for family 'mine'/);
    } finally {
      disposeModel(m);
    }
  });
});

import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeSpec } from '../src/models/registry.js';
import { imageArb, imageCount, imageShapeArb, modelSpecArb, pixelCnnSpecArb, positionArb } from './arbitraries.js';

describe('arbitraries', () => {
  it('PixelCNN specs decode and stay within the stated ranges', () => {
    fc.assert(
      fc.property(pixelCnnSpecArb(), (s) => {
        expect(E.isRight(decodeSpec(s))).toBe(true);
        expect(s.height).toBeGreaterThanOrEqual(1);
        expect(s.height).toBeLessThanOrEqual(8);
        expect(s.width).toBeLessThanOrEqual(8);
        expect([1, 3]).toContain(s.channels);
        expect([2, 4, 256]).toContain(s.levels);
        expect(s.hidden).toBeGreaterThanOrEqual(s.channels);
        expect(s.headHidden).toBeGreaterThanOrEqual(s.channels);
        if (s.likelihood.kind === 'bernoulli') expect(s.levels).toBe(2);
      }),
      { seed: 1, numRuns: 200 },
    );
  });

  it('draw every family registered, and images small enough to enumerate when asked', () => {
    fc.assert(
      fc.property(modelSpecArb({ maxImages: 4096 }), (s) => {
        expect(E.isRight(decodeSpec(s))).toBe(true);
        expect(imageCount(s)).toBeLessThanOrEqual(4096);
      }),
      { seed: 2, numRuns: 200 },
    );
    const shapes = fc.sample(imageShapeArb({ maxImages: 16, channels: [1], levels: [2] }), { seed: 3, numRuns: 100 });
    expect(new Set(shapes.map((s) => s.height * s.width)).has(4)).toBe(true);
  });

  it('images and positions fit the spec', () => {
    fc.assert(
      fc.property(
        pixelCnnSpecArb().chain((s) => fc.tuple(fc.constant(s), imageArb(s), positionArb(s))),
        ([s, image, p]) => {
          expect(image).toHaveLength(s.height * s.width * s.channels);
          for (const v of image) expect(v >= 0 && v < s.levels && Number.isInteger(v)).toBe(true);
          expect(p.i < s.height && p.j < s.width && p.c < s.channels).toBe(true);
        },
      ),
      { seed: 4, numRuns: 100 },
    );
  });

  it('refuse constraints no shape can meet, naming the file', () => {
    expect(() => imageShapeArb({ maxImages: 3, levels: [4] })).toThrow(/imageShapeArb/);
  });
});

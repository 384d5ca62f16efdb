import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { binarizeSet, binarizeStochastic, binarizeThreshold, stochasticBinarization } from './binarize.js';
import type { ImageSet } from './records.js';
import { Rng } from '../rng.js';
import { binarizationState } from './binarize.js';

describe('binarize', () => {
  it('threshold: 1 exactly where value > threshold', () => {
    const px = Uint8Array.from([0, 127, 128, 255, 200]);
    expect(Array.from(binarizeThreshold(px))).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(binarizeThreshold(px, 199))).toEqual([0, 0, 0, 1, 1]);
  });

  it('stochastic: 0 stays 0, 255 becomes 1, pure in (seed, index, epoch)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer(), fc.nat(), fc.nat(100), (px, seed, index, epoch) => {
        const a = binarizeStochastic(px, seed, index, epoch);
        const b = binarizeStochastic(px, seed, index, epoch);
        return a.every((v, i) => v === b[i] && (px[i] === 0 ? v === 0 : px[i] === 255 ? v === 1 : v <= 1));
      }),
    );
  });

  it('stochastic: draws exactly the src/rng.ts stream seeded by binarizationState', () => {
    const px = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
    const rng = new Rng(binarizationState(9, 42, 3));
    const expected = Array.from(px, (v) => (rng.uniform() * 255 < v ? 1 : 0));
    expect(Array.from(binarizeStochastic(px, 9, 42, 3))).toEqual(expected);
  });

  it('stochastic: the frequency of ones is value/255, and seeds/indices/epochs differ', () => {
    const px = new Uint8Array(20_000).fill(64);
    const a = binarizeStochastic(px, 1, 0);
    const ones = a.reduce((s, v) => s + v, 0) / px.length;
    expect(Math.abs(ones - 64 / 255)).toBeLessThan(0.015);
    const differs = (b: Uint8Array) => b.some((v, i) => v !== a[i]);
    expect(differs(binarizeStochastic(px, 2, 0))).toBe(true);
    expect(differs(binarizeStochastic(px, 1, 1))).toBe(true);
    expect(differs(binarizeStochastic(px, 1, 0, 1))).toBe(true);
  });

  const set: ImageSet = { name: 's', shape: { height: 1, width: 2, channels: 1, levels: 256 }, records: [{ pixels: Uint8Array.from([10, 250]), index: 7, label: 3 }] };

  it('binarizeSet keeps index and label, sets levels 2', () => {
    const r = binarizeSet(set, { kind: 'threshold' });
    expect(E.isRight(r) && r.right.shape.levels).toBe(2);
    expect(E.isRight(r) && r.right.records.map((x) => [x.index, x.label, Array.from(x.pixels)])).toEqual([[7, 3, [0, 1]]]);
  });

  it('binarizeSet rejects non-8-bit sets and bad thresholds', () => {
    const msg = (r: E.Either<Error, unknown>) => (E.isLeft(r) ? r.left.message : 'no error');
    expect(msg(binarizeSet({ ...set, shape: { ...set.shape, levels: 2 } }, { kind: 'threshold' }))).toBe(
      's: binarization expected 8-bit images (levels 256), found levels 2',
    );
    expect(msg(binarizeSet(set, { kind: 'threshold', threshold: Number.NaN }))).toBe('binarize threshold: expected a number in [0, 255), found NaN');
  });

  it('stochasticBinarization is the per-epoch transform over record index', () => {
    const t = stochasticBinarization(5);
    const r = set.records[0]!;
    expect(Array.from(t.apply(r, 2).pixels)).toEqual(Array.from(binarizeStochastic(r.pixels, 5, 7, 2)));
    expect([t.levels, t.inputLevels]).toEqual([2, 256]);
  });
});

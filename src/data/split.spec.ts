import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { ImageSet } from './records.js';
import { splitSet } from './split.js';

const setOf = (n: number): ImageSet => ({
  name: 'toy',
  shape: { height: 1, width: 1, channels: 1, levels: 256 },
  records: Array.from({ length: n }, (_, i) => ({ pixels: Uint8Array.of(i & 255), index: i })),
});
const msg = (r: E.Either<Error, unknown>) => (E.isLeft(r) ? r.left.message : 'no error');

describe('splitSet', () => {
  it('partitions the set, keeps source order and indexes, is deterministic in the seed', () => {
    fc.assert(
      fc.property(fc.nat(60), fc.integer(), fc.double({ min: 0, max: 1, noNaN: true }), (n, seed, fraction) => {
        const set = setOf(n);
        const a = splitSet(set, { seed, fraction });
        const b = splitSet(set, { seed, fraction });
        if (E.isLeft(a) || E.isLeft(b)) return false;
        const tr = a.right.train.records.map((r) => r.index);
        const va = a.right.validation.records.map((r) => r.index);
        const all = [...tr, ...va].sort((x, y) => x - y);
        return (
          va.length === Math.round(n * fraction) &&
          all.every((v, i) => v === i) &&
          all.length === n &&
          tr.every((v, i) => i === 0 || v > tr[i - 1]!) &&
          va.every((v, i) => i === 0 || v > va[i - 1]!) &&
          JSON.stringify(va) === JSON.stringify(b.right.validation.records.map((r) => r.index))
        );
      }),
    );
  });

  it('by count; different seeds pick different records; names and shape carried', () => {
    const set = setOf(100);
    const a = splitSet(set, { seed: 1, count: 10 });
    const b = splitSet(set, { seed: 2, count: 10 });
    expect(E.isRight(a) && a.right.validation.records.length).toBe(10);
    expect(E.isRight(a) && a.right.train.records.length).toBe(90);
    expect(E.isRight(a) && [a.right.train.name, a.right.validation.name]).toEqual(['toy/train', 'toy/validation']);
    expect(E.isRight(a) && a.right.train.shape).toBe(set.shape);
    const idx = (r: typeof a) => (E.isRight(r) ? r.right.validation.records.map((x) => x.index).join() : '');
    expect(idx(a)).not.toBe(idx(b));
    // validation is not just the first records (the embedded set is in digit order)
    expect(idx(a)).not.toBe('0,1,2,3,4,5,6,7,8,9');
  });

  it('errors name the field, expected and found', () => {
    expect(msg(splitSet(setOf(5), { seed: 1, fraction: 1.5 }))).toBe('validation fraction: expected a number in [0, 1], found 1.5');
    expect(msg(splitSet(setOf(5), { seed: 1, fraction: Number.NaN }))).toBe('validation fraction: expected a number in [0, 1], found NaN');
    expect(msg(splitSet(setOf(5), { seed: 1, count: 6 }))).toBe('validation count: expected an integer in [0, 5], found 6');
    expect(msg(splitSet(setOf(5), { seed: 1, count: 2.5 }))).toBe('validation count: expected an integer in [0, 5], found 2.5');
    expect(msg(splitSet(setOf(5), { seed: Number.NaN, count: 1 }))).toBe('split seed: expected a finite number, found NaN');
  });
});

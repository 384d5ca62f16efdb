import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { permutation } from '../rng.js';
import { stochasticBinarization } from './binarize.js';
import { epochAtStep, epochBatchAt, epochBatches, epochPlan, type EpochPlan } from './epochOrder.js';
import type { ImageSet } from './records.js';

const setOf = (n: number, levels = 256): ImageSet => ({
  name: 'toy',
  shape: { height: 1, width: 2, channels: 1, levels },
  records: Array.from({ length: n }, (_, i) => ({ pixels: Uint8Array.of(i & 255, 200), index: i })),
});
const plan = (n: number, batchSize: number, seed: number): EpochPlan => {
  const p = epochPlan(setOf(n), { batchSize, seed });
  if (E.isLeft(p)) throw p.left;
  return p.right;
};
const ids = (p: EpochPlan, step: number) => epochBatchAt(p, step).records.map((r) => r.index);

describe('epoch order', () => {
  it('the concatenated batches are the concatenated epoch permutations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 25 }), fc.integer(), (n, B, seed) => {
        const p = plan(n, B, seed);
        const steps = Math.ceil((3 * n) / B) + 1;
        const flat = Array.from({ length: steps }, (_, s) => ids(p, s)).flat();
        const expected = [0, 1, 2, 3].flatMap((e) => Array.from(permutation(n, seed, e)));
        return flat.slice(0, 3 * n).every((v, i) => v === expected[i]);
      }),
    );
  });

  it('every batch has exactly B records and index = step; it straddles epochs', () => {
    const p = plan(10, 4, 1);
    const b2 = epochBatchAt(p, 2); // positions 8..11: the end of epoch 0 and start of epoch 1
    expect(b2.index).toBe(2);
    expect(b2.records.length).toBe(4);
    expect(b2.records.map((r) => r.index)).toEqual([...Array.from(permutation(10, 1, 0)).slice(8), ...Array.from(permutation(10, 1, 1)).slice(0, 2)]);
    expect(epochAtStep(p, 5)).toBe(2);
  });

  it('the batch at step s is a pure function of (set, B, seed, s): resuming is exact', () => {
    const p = plan(37, 5, 42);
    const straight = [...epochBatches(p, 0, 30)].map((b) => b.records.map((r) => r.index));
    const resumed = [...epochBatches(p, 17, 30)].map((b) => b.records.map((r) => r.index));
    expect(resumed).toEqual(straight.slice(17));
    expect([...epochBatches(p, 17, 30)].map((b) => b.index)).toEqual(Array.from({ length: 13 }, (_, i) => 17 + i));
  });

  it('starting far ahead costs nothing for the skipped steps', () => {
    const p = plan(1000, 16, 3);
    const t0 = performance.now();
    const far = epochBatchAt(p, 1e12);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(far.index).toBe(1e12);
    const epoch = Math.floor((1e12 * 16) / 1000);
    expect(far.records.map((r) => r.index)).toEqual(Array.from(permutation(1000, 3, epoch).slice(0, 16)));
  });

  it('batches larger than the set span several epochs', () => {
    const p = plan(3, 7, 0);
    const expected = [0, 1, 2].flatMap((e) => Array.from(permutation(3, 0, e))).slice(0, 7);
    expect(ids(p, 0)).toEqual(expected);
  });

  it('a stochastic binarization transform is applied per (epoch, record)', () => {
    const p0 = epochPlan(setOf(4), { batchSize: 4, seed: 0, transform: stochasticBinarization(11) });
    if (E.isLeft(p0)) throw p0.left;
    expect(p0.right.shape.levels).toBe(2);
    const a = epochBatchAt(p0.right, 0).records; // epoch 0
    const b = epochBatchAt(p0.right, 0).records;
    expect(a.map((r) => Array.from(r.pixels))).toEqual(b.map((r) => Array.from(r.pixels)));
    expect(a.every((r) => r.pixels.every((v) => v <= 1))).toBe(true);
  });

  it('the generator is lazy and bounded by maxSteps', () => {
    const it = epochBatches(plan(5, 2, 0));
    expect(it.next().value?.index).toBe(0);
    expect(it.next().value?.index).toBe(1);
    expect([...epochBatches(plan(5, 2, 0), 3, 3)]).toEqual([]);
  });

  it('bad options are errors naming the field', () => {
    const msg = (r: E.Either<Error, unknown>) => (E.isLeft(r) ? r.left.message : 'no error');
    expect(msg(epochPlan(setOf(3), { batchSize: 0, seed: 1 }))).toBe('batchSize: expected an integer ≥ 1, found 0');
    expect(msg(epochPlan(setOf(3), { batchSize: 1.5, seed: 1 }))).toBe('batchSize: expected an integer ≥ 1, found 1.5');
    expect(msg(epochPlan(setOf(3), { batchSize: 2, seed: Number.NaN }))).toBe('seed: expected a finite number, found NaN');
    expect(msg(epochPlan(setOf(0), { batchSize: 2, seed: 1 }))).toBe('toy: expected a non-empty image set for training epochs, found 0 records');
    expect(msg(epochPlan(setOf(3, 2), { batchSize: 2, seed: 1, transform: stochasticBinarization(1) }))).toBe(
      'toy: the epoch transform expected levels 256, found levels 2',
    );
    expect(() => epochBatches(plan(3, 1, 0), -1).next()).toThrow('startStep: expected an integer ≥ 0, found -1');
    expect(() => epochBatches(plan(3, 1, 0), 0, 2.5).next()).toThrow('maxSteps: expected an integer ≥ 0, found 2.5');
  });
});

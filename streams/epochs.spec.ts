import { Subject, asyncScheduler, from, lastValueFrom, map, mergeScan, take, toArray, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { epochBatchAt, epochPlan } from '../src/data/epochOrder.js';
import type { ImageSet, RecordBatch } from '../src/data/records.js';
import { permutation } from '../src/rng.js';
import { stochasticBinarization } from '../src/data/binarize.js';
import { epochs } from './epochs.js';

const setOf = (n: number): ImageSet => ({
  name: 'toy',
  shape: { height: 1, width: 1, channels: 1, levels: 256 },
  records: Array.from({ length: n }, (_, i) => ({ pixels: Uint8Array.of((i * 50) & 255), index: i })),
});
const ids = (b: RecordBatch) => b.records.map((r) => r.index);

describe('epochs', () => {
  it('emits endless seeded epochs as batches straddling epoch boundaries', async () => {
    const out = await lastValueFrom(epochs(setOf(5), { batchSize: 2, seed: 9 }).pipe(take(6), toArray()));
    expect(out.map((b) => b.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const flat = out.flatMap(ids);
    expect(flat.slice(0, 5)).toEqual(Array.from(permutation(5, 9, 0)));
    expect(flat.slice(5, 10)).toEqual(Array.from(permutation(5, 9, 1)));
    expect(out.every((b) => b.records.length === 2)).toBe(true);
  });
  it('resuming at startStep = k gives exactly the batches an uninterrupted run saw', async () => {
    const set = setOf(13);
    const full = await lastValueFrom(epochs(set, { batchSize: 4, seed: 1, maxSteps: 20 }).pipe(toArray()));
    const resumed = await lastValueFrom(epochs(set, { batchSize: 4, seed: 1, startStep: 11, maxSteps: 20 }).pipe(toArray()));
    expect(full.length).toBe(20);
    expect(resumed.map((b) => [b.index, ids(b)])).toEqual(full.slice(11).map((b) => [b.index, ids(b)]));
  });
  it('applies a per-epoch transform (stochastic binarization) purely', async () => {
    const opts = { batchSize: 3, seed: 2, transform: stochasticBinarization(5), maxSteps: 8 };
    const a = await lastValueFrom(epochs(setOf(4), opts).pipe(toArray()));
    const b = await lastValueFrom(epochs(setOf(4), { ...opts, startStep: 5 }).pipe(toArray()));
    expect(a[0]!.shape.levels).toBe(2);
    expect(b.map((x) => x.records.map((r) => r.pixels[0]))).toEqual(a.slice(5).map((x) => x.records.map((r) => r.pixels[0])));
  });
  it('is lazy: a synchronous consumer sees each batch built only when it is pulled', () => {
    const built: number[] = [];
    const consumed: number[] = [];
    epochs(setOf(8), { batchSize: 2, seed: 0 })
      .pipe(
        tap((b) => built.push(b.index)),
        map((b) => {
          expect(built.length).toBe(consumed.length + 1); // nothing built ahead of the consumer
          consumed.push(b.index);
          return b;
        }),
        take(4),
      )
      .subscribe();
    expect(built).toEqual([0, 1, 2, 3]);
  });
  it('matches the pure epochBatchAt at every step', async () => {
    const set = setOf(6);
    const plan = epochPlan(set, { batchSize: 4, seed: 3 });
    if (plan._tag === 'Left') throw plan.left;
    const out = await lastValueFrom(epochs(set, { batchSize: 4, seed: 3, startStep: 100, maxSteps: 103 }).pipe(toArray()));
    expect(out.map(ids)).toEqual([100, 101, 102].map((s) => ids(epochBatchAt(plan.right, s))));
  });
  it('with a scheduler, emits one batch per task and stops on unsubscribe', async () => {
    const out = await lastValueFrom(epochs(setOf(3), { batchSize: 2, seed: 0, scheduler: asyncScheduler }).pipe(take(3), toArray()));
    expect(out.map((b) => b.index)).toEqual([0, 1, 2]);
    const seen: number[] = [];
    const sub = epochs(setOf(3), { batchSize: 2, seed: 0, scheduler: asyncScheduler }).subscribe((b) => seen.push(b.index));
    expect(seen).toEqual([]); // nothing synchronously
    await new Promise((r) => setTimeout(r, 20));
    sub.unsubscribe();
    const n = seen.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.length).toBe(n);
  });
  it('pull mode: with an async consumer at most one batch waits, and the order is unchanged', async () => {
    const run = async (pull: boolean) => {
      let built = 0;
      let done = 0;
      let maxAhead = 0;
      const ready = new Subject<void>();
      const slowStep = (acc: number[], b: RecordBatch) =>
        from(new Promise<number[]>((resolve) => setTimeout(() => { done++; resolve([...acc, ...ids(b)]); }, 5)));
      const out = await lastValueFrom(
        epochs(setOf(5), { batchSize: 2, seed: 4, maxSteps: 40, scheduler: asyncScheduler, ...(pull ? { demand: ready } : {}) }).pipe(
          tap(() => {
            built++;
            maxAhead = Math.max(maxAhead, built - done);
          }),
          mergeScan(slowStep, [] as number[], 1),
          tap(() => ready.next()),
        ),
      );
      return { out, maxAhead };
    };
    const pulled = await run(true);
    const pushed = await run(false);
    expect(pulled.maxAhead).toBeLessThanOrEqual(2);
    expect(pushed.maxAhead).toBeGreaterThan(5); // the failure pull mode prevents
    expect(pulled.out).toEqual(pushed.out);
    expect(pulled.out.length).toBe(80);
  });
  it('pull mode without a scheduler: one batch per demand, synchronously', () => {
    const demand = new Subject<void>();
    const seen: number[] = [];
    const sub = epochs(setOf(5), { batchSize: 1, seed: 0, demand }).subscribe((b) => seen.push(b.index));
    expect(seen).toEqual([0]);
    demand.next();
    demand.next();
    expect(seen).toEqual([0, 1, 2]);
    sub.unsubscribe();
    expect(demand.observed).toBe(false);
    let completed = false;
    epochs(setOf(5), { batchSize: 1, seed: 0, demand, maxSteps: 2 }).subscribe({ complete: () => (completed = true) });
    demand.next();
    expect(completed).toBe(true); // right after the last batch, not at the next demand
  });
  it('empty input: maxSteps = startStep completes empty; an empty set is an error', async () => {
    expect(await lastValueFrom(epochs(setOf(3), { batchSize: 2, seed: 0, startStep: 4, maxSteps: 4 }).pipe(toArray()))).toEqual([]);
    await expect(lastValueFrom(epochs(setOf(0), { batchSize: 2, seed: 0 }))).rejects.toThrow(
      'toy: expected a non-empty image set for training epochs, found 0 records',
    );
  });
  it('errors: bad options error the stream when subscribed', async () => {
    const bad = epochs(setOf(3), { batchSize: -1, seed: 0 }); // no throw at construction
    await expect(lastValueFrom(bad)).rejects.toThrow('batchSize: expected an integer ≥ 1, found -1');
    await expect(lastValueFrom(epochs(setOf(3), { batchSize: 1, seed: 0, startStep: -2 }))).rejects.toThrow(
      'startStep: expected an integer ≥ 0, found -2',
    );
  });
});

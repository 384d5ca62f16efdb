import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/records.js';
import { fromImageSet } from './fromImageSet.js';

const setOf = (n: number): ImageSet => ({
  name: 'toy',
  shape: { height: 1, width: 1, channels: 1, levels: 256 },
  records: Array.from({ length: n }, (_, i) => ({ pixels: Uint8Array.of(i), index: i })),
});

describe('fromImageSet', () => {
  it('emits the records in order, then completes', async () => {
    const set = setOf(4);
    expect(await lastValueFrom(fromImageSet(set).pipe(toArray()))).toEqual(set.records);
  });
  it('is cold: each subscription replays the set', async () => {
    const src = fromImageSet(setOf(2));
    expect((await lastValueFrom(src.pipe(toArray()))).length).toBe(2);
    expect((await lastValueFrom(src.pipe(toArray()))).length).toBe(2);
  });
  it('an empty set completes without values', async () => {
    expect(await lastValueFrom(fromImageSet(setOf(0)).pipe(toArray()))).toEqual([]);
  });
  it('early unsubscribe stops emission: later records are never read', () => {
    const set = setOf(100);
    const read = new Set<number>();
    const records = new Proxy(set.records as ImageSet['records'][number][], {
      get: (target, key, recv) => {
        if (typeof key === 'string' && /^\d+$/.test(key)) read.add(Number(key));
        return Reflect.get(target, key, recv);
      },
    });
    const taken: number[] = [];
    fromImageSet({ ...set, records }).pipe(take(3)).subscribe((r) => taken.push(r.index));
    expect(taken).toEqual([0, 1, 2]);
    expect(Math.max(...read)).toBe(2);
  });
  it('errors: a set whose records cannot be iterated errors the stream, not the caller', async () => {
    const bad = { name: 'bad', shape: setOf(0).shape, records: null as unknown as ImageSet['records'] };
    const src = fromImageSet(bad); // does not throw at construction
    await expect(firstValueFrom(src)).rejects.toThrow();
  });
});

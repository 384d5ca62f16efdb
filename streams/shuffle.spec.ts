import { Subject, from, lastValueFrom, take, throwError, toArray, concat, of, finalize } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { permutation } from '../src/rng.js';
import { shuffle } from './shuffle.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('shuffle', () => {
  it('re-emits every value in the seeded permutation order', async () => {
    const out = await lastValueFrom(from(range(20)).pipe(shuffle(7), toArray()));
    expect(out).toEqual(Array.from(permutation(20, 7)));
    expect([...out].sort((a, b) => a - b)).toEqual(range(20));
    expect(await lastValueFrom(from(range(20)).pipe(shuffle(7), toArray()))).toEqual(out);
    expect(await lastValueFrom(from(range(20)).pipe(shuffle(8), toArray()))).not.toEqual(out);
    expect(await lastValueFrom(from(range(20)).pipe(shuffle(7, 1), toArray()))).toEqual(Array.from(permutation(20, 7, 1)));
  });
  it('emits nothing before the source completes', () => {
    const s = new Subject<number>();
    const seen: number[] = [];
    s.pipe(shuffle(1)).subscribe((v) => seen.push(v));
    s.next(1);
    s.next(2);
    expect(seen).toEqual([]);
    s.complete();
    expect(seen.sort()).toEqual([1, 2]);
  });
  it('empty input completes empty', async () => {
    expect(await lastValueFrom(from([] as number[]).pipe(shuffle(1), toArray()))).toEqual([]);
  });
  it('a source error passes through with nothing emitted', async () => {
    const seen: number[] = [];
    const src = concat(of(1, 2), throwError(() => new Error('boom')));
    await expect(lastValueFrom(src.pipe(shuffle(1), toArray()))).rejects.toThrow('boom');
    src.pipe(shuffle(1)).subscribe({ next: (v) => seen.push(v), error: () => undefined });
    expect(seen).toEqual([]);
  });
  it('early unsubscribe stops the re-emission and tears down the source', async () => {
    let finalized = false;
    const out = await lastValueFrom(from(range(1000)).pipe(finalize(() => (finalized = true)), shuffle(3), take(5), toArray()));
    expect(out).toEqual(Array.from(permutation(1000, 3).slice(0, 5)));
    expect(finalized).toBe(true);
    const s = new Subject<number>();
    const sub = s.pipe(shuffle(1)).subscribe();
    sub.unsubscribe();
    expect(s.observed).toBe(false);
  });
});

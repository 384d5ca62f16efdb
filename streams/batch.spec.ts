import { Subject, from, lastValueFrom, take, throwError, toArray, concat, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ImageRecord } from '../src/data/records.js';
import { batch } from './batch.js';

const shape = { height: 1, width: 2, channels: 1, levels: 256 };
const rec = (i: number, len = 2): ImageRecord => ({ pixels: new Uint8Array(len).fill(i), index: i });
const recs = (n: number) => Array.from({ length: n }, (_, i) => rec(i));

describe('batch', () => {
  it('groups records into batches with consecutive indexes; keeps the remainder by default', async () => {
    const out = await lastValueFrom(from(recs(7)).pipe(batch(3, shape), toArray()));
    expect(out.map((b) => [b.index, b.records.map((r) => r.index)])).toEqual([
      [0, [0, 1, 2]],
      [1, [3, 4, 5]],
      [2, [6]],
    ]);
    expect(out.every((b) => b.shape === shape)).toBe(true);
  });
  it('dropRemainder drops the short last batch', async () => {
    const out = await lastValueFrom(from(recs(7)).pipe(batch(3, shape, { dropRemainder: true }), toArray()));
    expect(out.map((b) => b.records.length)).toEqual([3, 3]);
    const exact = await lastValueFrom(from(recs(6)).pipe(batch(3, shape, { dropRemainder: true }), toArray()));
    expect(exact.length).toBe(2);
  });
  it('each subscription numbers its batches from 0', async () => {
    const src = from(recs(4)).pipe(batch(2, shape));
    await lastValueFrom(src);
    expect((await lastValueFrom(src.pipe(toArray()))).map((b) => b.index)).toEqual([0, 1]);
  });
  it('empty input completes empty', async () => {
    expect(await lastValueFrom(from([] as ImageRecord[]).pipe(batch(3, shape), toArray()))).toEqual([]);
  });
  it('errors: a record of the wrong size, a source error, a bad batch size', async () => {
    await expect(lastValueFrom(from([rec(0), rec(1, 3)]).pipe(batch(2, shape)))).rejects.toThrow(
      'record 1: expected 2 values (1×2×1), found 3',
    );
    await expect(lastValueFrom(concat(of(rec(0)), throwError(() => new Error('boom'))).pipe(batch(2, shape)))).rejects.toThrow('boom');
    await expect(lastValueFrom(from(recs(3)).pipe(batch(0, shape)))).rejects.toThrow('batch size: expected an integer ≥ 1, found 0');
  });
  it('early unsubscribe tears down the source', async () => {
    const s = new Subject<ImageRecord>();
    const got: number[] = [];
    s.pipe(batch(2, shape), take(1)).subscribe((b) => got.push(b.index));
    s.next(rec(0));
    s.next(rec(1));
    expect(got).toEqual([0]);
    expect(s.observed).toBe(false);
  });
});

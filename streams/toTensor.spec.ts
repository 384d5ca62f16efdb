import { Subject, from, lastValueFrom, take, throwError, toArray, concat, of, map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RecordBatch } from '../src/data/records.js';
import { tf } from '../src/tf.js';
import { toTensor } from './toTensor.js';

const shape = { height: 2, width: 2, channels: 1, levels: 256 };
const rb = (index: number, n = 2, len = 4): RecordBatch => ({
  shape,
  index,
  records: Array.from({ length: n }, (_, i) => ({ pixels: Uint8Array.from({ length: len }, (_, p) => index * 10 + i * 4 + p), index: i })),
});

describe('toTensor', () => {
  it('turns each batch into a [B, H, W, C] float32 tensor of levels; the consumer disposes it', async () => {
    const before = tf.memory().numTensors;
    const out = await lastValueFrom(from([rb(0), rb(1)]).pipe(toTensor(), toArray()));
    expect(out.map((t) => t.batch.index)).toEqual([0, 1]);
    expect(out[1]!.x.shape).toEqual([2, 2, 2, 1]);
    expect(out[1]!.x.dtype).toBe('float32');
    expect(Array.from(out[1]!.x.dataSync())).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    out.forEach((t) => t.x.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
  it('empty input completes empty and allocates nothing', async () => {
    const before = tf.memory().numTensors;
    expect(await lastValueFrom(from([] as RecordBatch[]).pipe(toTensor(), toArray()))).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('errors: a record of the wrong size, a source error', async () => {
    const before = tf.memory().numTensors;
    await expect(lastValueFrom(of(rb(0, 2, 3)).pipe(toTensor()))).rejects.toThrow('record 0: expected 4 values (2×2×1), found 3');
    await expect(lastValueFrom(concat(of(rb(0)), throwError(() => new Error('boom'))).pipe(toTensor(), map((t) => t.x.dispose())))).rejects.toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
  });
  it('early unsubscribe: batches after it are never turned into tensors', () => {
    const before = tf.memory().numTensors;
    const s = new Subject<RecordBatch>();
    s.pipe(toTensor(), take(1)).subscribe((t) => t.x.dispose());
    s.next(rb(0));
    expect(s.observed).toBe(false);
    s.next(rb(1));
    expect(tf.memory().numTensors).toBe(before);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { filter, lastValueFrom, take, toArray } from 'rxjs';
import { bindModel, initModel, presets } from '../src/models/registry.js';
import { logProbsOf } from '../src/model.js';
import { Rng } from '../src/rng.js';
import { naiveSampler } from '../src/sampling/naive.js';
import type { ImageEvent, RowEvent, SampleEvent, SamplerFactory, ValueEvent } from '../src/sampling/types.js';
import { tf } from '../src/tf.js';
import { disposeAll } from '../src/train/step.js';
import { completeImages, sample, sampleAsync, sampleImages } from './sample.js';

const shape = { height: 4, width: 3, channels: 3 as const, levels: 4 };
const model = initModel(presets.tiny(shape), 7);
const size = shape.height * shape.width * shape.channels;

/** A naive sampler that counts its forward passes. */
const counting = () => {
  const calls = { n: 0 };
  const factory: SamplerFactory = (m, b) => {
    const s = naiveSampler(m, b);
    return { ...s, headAt: (i, j, c) => (calls.n++, s.headAt(i, j, c)) };
  };
  return { calls, factory };
};

describe('sample source', () => {
  it('emits values in raster/channel order per batch, rows, then images that match the values', async () => {
    const events = await lastValueFrom(sample(model, { count: 3, batchSize: 2, seed: 5 }).pipe(toArray()));
    const values = events.filter((e): e is ValueEvent => e.kind === 'value');
    expect(values).toHaveLength(3 * size);
    const images = events.filter((e): e is ImageEvent => e.kind === 'image');
    expect(images.map((e) => e.image)).toEqual([0, 1, 2]);
    for (const img of images) {
      const mine = values.filter((v) => v.image === img.image);
      // raster order, channel R → G → B within a pixel
      expect(mine.map((v) => (v.row * shape.width + v.col) * 3 + v.channel)).toEqual(Array.from({ length: size }, (_, k) => k));
      for (const v of mine) {
        expect(img.pixels[(v.row * shape.width + v.col) * 3 + v.channel]).toBe(v.value);
        expect(v.probability).toBeGreaterThan(0);
        expect(v.probability).toBeLessThanOrEqual(1);
      }
      const rows = events.filter((e): e is RowEvent => e.kind === 'row' && e.image === img.image).map((e) => e.row);
      expect(rows).toEqual([0, 1, 2, 3]);
    }
    // the image event of a batch comes after all its values; batches do not interleave
    const lastValueOfImage1 = events.length - 1 - [...events].reverse().findIndex((e: SampleEvent) => e.kind === 'value' && e.image === 1);
    const firstValueOfImage2 = events.findIndex((e) => e.kind === 'value' && e.image === 2);
    expect(events.findIndex((e) => e.kind === 'image' && e.image === 1)).toBeGreaterThan(lastValueOfImage1);
    expect(events.findIndex((e) => e.kind === 'image' && e.image === 1)).toBeLessThan(firstValueOfImage2);
  });

  it('is deterministic in the seed, whatever the batch size or sampler, and differs across seeds', async () => {
    const a = await sampleImages(model, { count: 3, batchSize: 3, seed: 11 });
    const b = await sampleImages(model, { count: 3, batchSize: 1, seed: 11 });
    const naive = await sampleImages(model, { count: 3, batchSize: 2, seed: 11, cached: false });
    const other = await sampleImages(model, { count: 3, batchSize: 3, seed: 12 });
    expect(b).toEqual(a);
    expect(naive).toEqual(a);
    expect(other).not.toEqual(a);
  });

  it('at temperature 0 takes the argmax of the logits; a very low temperature agrees', async () => {
    // random output biases, so that no position has exactly tied logits (zero biases tie at (0, 0))
    const rng = Rng.fromSeed(4);
    const bias = tf.tensor1d(Float32Array.from({ length: 12 }, () => rng.normal()));
    const biased = bindModel(model.spec, { ...model.params, 'head1.b': bias });
    const [greedy] = await sampleImages(biased, { count: 1, seed: 1, temperature: 0 });
    const [cold] = await sampleImages(biased, { count: 1, seed: 2, temperature: 1e-3 });
    const [warm] = await sampleImages(biased, { count: 1, seed: 2, temperature: 1 });
    expect(cold).toEqual(greedy);
    expect(warm).not.toEqual(greedy);
    const logits = tf.tidy(() => logProbsOf(biased, tf.tensor4d(Float32Array.from(greedy!), [1, 4, 3, 3]))); // [1, H, W, C, K]
    const argmax = tf.tidy(() => tf.argMax(logits, 4)); // [1, H, W, C]
    expect(Array.from(argmax.dataSync())).toEqual(Array.from(greedy!));
    tf.dispose([logits, argmax, bias]);
  });

  it('completes images: known rows unchanged, deterministic in the seed, with either sampler', async () => {
    const known = [0, 1].map((n) => Uint8Array.from({ length: size }, (_, k) => (k * 7 + n) % 4));
    const keep = 2 * shape.width * 3;
    const events = await lastValueFrom(completeImages(model, known, 2, { seed: 3 }).pipe(toArray()));
    const values = events.filter((e): e is ValueEvent => e.kind === 'value');
    expect(values.every((v) => v.row >= 2)).toBe(true);
    expect(values).toHaveLength(2 * (size - keep));
    const done = events.filter((e): e is ImageEvent => e.kind === 'image').map((e) => e.pixels);
    done.forEach((img, n) => expect(img.subarray(0, keep)).toEqual(known[n]!.subarray(0, keep)));
    expect(known[0]![keep]).toBe((keep * 7) % 4); // the inputs were not written to
    const again = await sampleImages(model, { known, keepRows: 2, seed: 3, cached: false });
    expect(again).toEqual(done);
  });

  it('keeping every row emits just the known images', async () => {
    const known = [Uint8Array.from({ length: size }, (_, k) => k % 4)];
    const events = await lastValueFrom(completeImages(model, known, shape.height).pipe(toArray()));
    expect(events).toEqual([{ kind: 'image', image: 0, pixels: known[0] }]);
  });

  it('completes empty for count 0', async () => {
    expect(await lastValueFrom(sample(model, { count: 0 }).pipe(toArray()))).toEqual([]);
  });

  it('errors with the field, what was expected and what was found', async () => {
    await expect(lastValueFrom(sample(model, { count: 2, temperature: -1 }))).rejects.toThrow(
      'temperature: expected a finite number ≥ 0, found -1',
    );
    await expect(lastValueFrom(completeImages(model, [new Uint8Array(5)], 1))).rejects.toThrow('known[0]: expected 36 values');
    const broken: SamplerFactory = (m, b) => ({ ...naiveSampler(m, b), headAt: () => { throw new Error('boom'); } });
    await expect(lastValueFrom(sample(model, { sampler: broken }))).rejects.toThrow('boom');
  });

  it('stops computing and frees its tensors on early unsubscribe', async () => {
    const before = tf.memory().numTensors;
    const { calls, factory } = counting();
    const first = await lastValueFrom(sample(model, { count: 4, batchSize: 2, sampler: factory }).pipe(take(5), toArray()));
    expect(first).toHaveLength(5);
    const atStop = calls.n;
    expect(atStop).toBe(3); // positions 0, 1, 2 of a batch of two: 6 values ≥ 5
    await new Promise((r) => setTimeout(r, 30));
    expect(calls.n).toBe(atStop);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees the cached sampler\'s tensors when unsubscribed mid-image', async () => {
    const before = tf.memory().numTensors;
    const first = await lastValueFrom(sample(model, { count: 4, batchSize: 2 }).pipe(take(7), toArray()));
    expect(first.map((e) => e.kind)).toEqual(Array(7).fill('value'));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the tensor count flat across a whole run, with either sampler', async () => {
    const before = tf.memory().numTensors;
    await sampleImages(model, { count: 2, cached: false });
    await sampleImages(model, { count: 2 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is cold and yields to the event loop between slices', async () => {
    const { calls, factory } = counting();
    const events = sample(model, { count: 2, sampler: factory, sliceMs: 0 });
    expect(calls.n).toBe(0);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const images = await lastValueFrom(events.pipe(filter((e) => e.kind === 'image'), toArray()));
    clearInterval(timer);
    expect(images).toHaveLength(2);
    expect(calls.n).toBe(size);
    expect(ticks).toBeGreaterThan(3);
  });

  it('offers a pull-based async iterable that computes only when asked', async () => {
    const { calls, factory } = counting();
    const it = sampleAsync(model, { count: 1, sampler: factory });
    const got: string[] = [];
    for await (const e of it) {
      got.push(e.kind);
      if (got.length === 4) break;
    }
    expect(calls.n).toBe(4); // one image: one value per position, and no position beyond the 4th
    const all = [];
    for await (const e of sampleAsync(model, { count: 1, seed: 9 })) all.push(e);
    expect(all.at(-1)!.kind).toBe('image');
    expect([(all.at(-1) as ImageEvent).pixels]).toEqual(await sampleImages(model, { count: 1, seed: 9 }));
  });
});

afterAll(() => disposeAll(model.params));

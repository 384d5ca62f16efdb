// The sampling loop as a pull-based generator: each `next()` samples one position (i, j, c) for a
// batch of images and returns its events. Nothing is computed until pulled, so a consumer sets the
// pace; `return()` (or abandoning a for-of) runs `finally` and frees the sampler.

import type { AutoregressiveModel } from '../model.js';
import { Rng } from '../rng.js';
import { drawValue } from './draw.js';
import type { ResolvedSampleOptions, SampleEvent, SamplerFactory } from './types.js';

/** The random stream of image n: independent of the batch size and of the sampler. */
export const imageRng = (seed: number, image: number): Rng => Rng.fromSeed(seed, 7919 + image);

/** After value (i, j, c): a 'row' event per image when it ends a row, an 'image' event when it ends the image. */
export const completionEvents = (
  shape: { readonly height: number; readonly width: number; readonly channels: number },
  i: number,
  j: number,
  c: number,
  first: number,
  images: readonly Uint8Array[],
): SampleEvent[] => {
  const { height: H, width: W, channels: C } = shape;
  if (j !== W - 1 || c !== C - 1) return [];
  const rows = images.map((_, b): SampleEvent => ({ kind: 'row', image: first + b, row: i }));
  if (i !== H - 1) return rows;
  return [...rows, ...images.map((pixels, b): SampleEvent => ({ kind: 'image', image: first + b, pixels }))];
};

export function* samplingSteps(
  model: AutoregressiveModel,
  options: ResolvedSampleOptions,
  factory: SamplerFactory,
): Generator<readonly SampleEvent[], void, undefined> {
  const { height: H, width: W, channels: C, levels: K } = model.spec;
  const { count, batchSize, seed, temperature, keepRows, known } = options;
  for (let first = 0; first < count; first += batchSize) {
    const B = Math.min(batchSize, count - first);
    const images = Array.from({ length: B }, (_, b) =>
      known ? Uint8Array.from(known[first + b]!) : new Uint8Array(H * W * C),
    );
    const rngs = Array.from({ length: B }, (_, b) => imageRng(seed, first + b));
    const sampler = factory(model, B);
    try {
      const values = new Float32Array(B);
      for (let i = 0; i < keepRows; i++)
        for (let j = 0; j < W; j++)
          for (let c = 0; c < C; c++) {
            for (let b = 0; b < B; b++) values[b] = images[b]![(i * W + j) * C + c]!;
            sampler.commit(i, j, c, values);
          }
      for (let i = keepRows; i < H; i++)
        for (let j = 0; j < W; j++)
          for (let c = 0; c < C; c++) {
            const logits = sampler.logitsAt(i, j, c); // [B·K]
            const events: SampleEvent[] = [];
            for (let b = 0; b < B; b++) {
              const { value, probability } = drawValue(logits, b * K, K, temperature, rngs[b]!);
              values[b] = value;
              images[b]![(i * W + j) * C + c] = value;
              events.push({ kind: 'value', image: first + b, row: i, col: j, channel: c, value, probability });
            }
            sampler.commit(i, j, c, values);
            events.push(...completionEvents(model.spec, i, j, c, first, images));
            yield events;
          }
      if (keepRows === H) yield images.map((pixels, b) => ({ kind: 'image', image: first + b, pixels }) as const);
    } finally {
      sampler.dispose();
    }
  }
}

/** Sample to the end, synchronously: the finished images in order. */
export const sampleAll = (
  model: AutoregressiveModel,
  options: ResolvedSampleOptions,
  factory: SamplerFactory,
): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (const events of samplingSteps(model, options, factory))
    for (const e of events) if (e.kind === 'image') out.push(e.pixels);
  return out;
};

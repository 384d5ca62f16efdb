// The one sampling loop, as a pull-based generator: it walks the family's sampling order (raster
// order with R → G → B for most; Multi-Scale small image first) and asks an incremental sampler
// (the family's cached one, or the naive rerun) for the head at the next position; the model's
// likelihood draws the value. Each `next()` samples one position for a batch of images and returns
// its events. Nothing is computed until pulled, so a consumer sets the pace; `return()` (or
// abandoning a for-of) runs `finally` and frees the sampler.

import type { AutoregressiveModel } from '../model.js';
import { familyOrNull } from '../models/registry.js';
import { Rng } from '../rng.js';
import { naiveSampler } from './naive.js';
import { positionOf, rasterOrder } from './order.js';
import type { ResolvedSampleOptions, SampleEvent, SamplerFactory, SamplingOrder } from './types.js';

/** The random stream of image n: independent of the batch size and of the sampler. */
export const imageRng = (seed: number, image: number): Rng => Rng.fromSeed(seed, 7919 + image);

/** The order a model samples in: its family's, or raster order (also for unregistered models). */
export const samplingOrderOf = (model: AutoregressiveModel): SamplingOrder => {
  const family = familyOrNull(model.spec.family);
  return family?.order ? family.order(model.spec) : rasterOrder(model.spec);
};

/** The family's cached sampler when it has one and `cached`, else the naive rerun. */
export const samplerFor = (model: AutoregressiveModel, cached = true): SamplerFactory => {
  const family = familyOrNull(model.spec.family);
  return cached && family?.cachedSampler ? (m, b, labels) => family.cachedSampler!(m, b, labels) : naiveSampler;
};

export function* samplingSteps(
  model: AutoregressiveModel,
  options: ResolvedSampleOptions,
  factory: SamplerFactory = samplerFor(model, options.cached),
  order: SamplingOrder = samplingOrderOf(model),
): Generator<readonly SampleEvent[], void, undefined> {
  const { height: H, width: W, channels: C } = model.spec;
  const P = C * model.likelihood.featuresPerChannel;
  const { count, batchSize, seed, temperature, keepRows, known, labels } = options;
  for (let first = 0; first < count; first += batchSize) {
    const B = Math.min(batchSize, count - first);
    const images = Array.from({ length: B }, (_, b) => (known ? Uint8Array.from(known[first + b]!) : new Uint8Array(H * W * C)));
    const rngs = Array.from({ length: B }, (_, b) => imageRng(seed, first + b));
    const fixedInRow = new Int32Array(H); // values of row i fixed so far (the same for every image)
    let fixed = 0;
    let drawn = 0;
    const sampler = labels ? factory(model, B, labels.subarray(first, first + B)) : factory(model, B);
    try {
      const values = new Float32Array(B);
      for (const q of order) {
        const { i, j, c } = positionOf(model.spec, q);
        fixedInRow[i]!++;
        fixed++;
        if (i < keepRows) {
          for (let b = 0; b < B; b++) values[b] = images[b]![q]!;
          sampler.commit(i, j, c, values);
          continue;
        }
        const head = sampler.headAt(i, j, c); // [B·C·F]
        const events: SampleEvent[] = [];
        for (let b = 0; b < B; b++) {
          const { value, probability } = model.likelihood.draw(head, b * P, c, images[b]!, q - c, temperature, rngs[b]!);
          values[b] = value;
          images[b]![q] = value;
          events.push({ kind: 'value', image: first + b, row: i, col: j, channel: c, value, probability });
        }
        sampler.commit(i, j, c, values);
        drawn++;
        if (fixedInRow[i] === W * C) for (let b = 0; b < B; b++) events.push({ kind: 'row', image: first + b, row: i });
        if (fixed === H * W * C) for (let b = 0; b < B; b++) events.push({ kind: 'image', image: first + b, pixels: images[b]! });
        yield events;
      }
      if (drawn === 0) yield images.map((pixels, b) => ({ kind: 'image', image: first + b, pixels }) as const);
    } finally {
      sampler.dispose();
    }
  }
}

/** Sample to the end, synchronously: the finished images in order. */
export const sampleAll = (model: AutoregressiveModel, options: ResolvedSampleOptions, factory?: SamplerFactory): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (const events of samplingSteps(model, options, factory)) for (const e of events) if (e.kind === 'image') out.push(e.pixels);
  return out;
};

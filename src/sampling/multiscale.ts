// Sampling a Multi-Scale PixelRNN (models/multiscale.ts) in its own autoregressive order: the small
// s×s' image first (the unconditional network, raster order over the small image), then every other
// pixel of the n×m image in raster order, conditioned on the small image (the conditional network,
// whose condition map is computed once per batch). The combined logits(x) of the family are not
// causal in raster order, so the plain raster loop of session.ts cannot sample this family.
//
// Both phases use the cached PixelRNN sampler (cachedPixelRnn.ts; 'small.' weights, then 'large.'
// weights with the condition map as a per-layer gate bias) or, with `cached: false`, the naive one
// (rerun the network per value). Events follow the sampling order: the value events of the small
// positions (row f·i, column f·j, in large-image coordinates) come first, then the remaining values
// in raster order; a row event still means "every value of this row is fixed" and comes when its
// last value is drawn (never a small position, f ≥ 2), an image event when the image is finished.
// Seeds and temperature are honoured as in session.ts: image n draws from imageRng(seed, n), the
// small values first.

import type { AutoregressiveModel } from '../model.js';
import { conditionMap, conditionalModel, largeSpecOf, smallModel, smallSpecOf } from '../models/multiscale.js';
import type { MultiscaleSpec } from '../models/spec.js';
import { tf, type NamedTensors, type Tensor4D } from '../tf.js';
import { cachedPixelRnn } from './cachedPixelRnn.js';
import { drawValue } from './draw.js';
import { naiveSampler } from './naive.js';
import { completionEvents, imageRng } from './session.js';
import type { IncrementalSampler, ResolvedSampleOptions, SampleEvent, SamplerFactory } from './types.js';

/** The small network's sampler: cached (default) or naive. */
export const smallSampler =
  (spec: MultiscaleSpec, params: NamedTensors, cached = true): SamplerFactory =>
  (_model, batch) =>
    cached ? cachedPixelRnn(smallSpecOf(spec), params, batch, { prefix: 'small.' }) : naiveSampler(smallModel(spec, params), batch);

/**
 * The conditional network's sampler for a fixed small image [B or 1, s, s', C] (the caller keeps
 * ownership of `small`): cached (default) or naive. Raster order over the n×m image.
 */
export const conditionalSampler =
  (spec: MultiscaleSpec, params: NamedTensors, small: Tensor4D, cached = true): SamplerFactory =>
  (_model, batch) => {
    if (!cached) return naiveSampler(conditionalModel(spec, params, small), batch);
    const condition = conditionMap(spec, params, small); //                            [B or 1, n, m, c]
    try {
      return cachedPixelRnn(largeSpecOf(spec), params, batch, { prefix: 'large.', condition });
    } finally {
      condition.dispose(); // read into the sampler's own buffers
    }
  };

const isSmall = (f: number, i: number, j: number): boolean => i % f === 0 && j % f === 0;

/** The sampling loop of session.ts, in the Multi-Scale order; `next()` samples one position for a batch. */
export function* multiscaleSteps(
  model: AutoregressiveModel,
  options: ResolvedSampleOptions,
): Generator<readonly SampleEvent[], void, undefined> {
  const spec = model.spec as unknown as MultiscaleSpec;
  if (spec.family !== 'multiscale') throw new Error(`multiscaleSteps: expected a 'multiscale' model, found '${spec.family}'`);
  const { height: H, width: W, channels: C, levels: K, factor: f } = spec;
  const [s, s2] = [H / f, W / f];
  const { count, batchSize, seed, temperature, keepRows, known } = options;
  for (let first = 0; first < count; first += batchSize) {
    const B = Math.min(batchSize, count - first);
    const images = Array.from({ length: B }, (_, b) => (known ? Uint8Array.from(known[first + b]!) : new Uint8Array(H * W * C)));
    const rngs = Array.from({ length: B }, (_, b) => imageRng(seed, first + b));
    const values = new Float32Array(B);
    const at = (i: number, j: number, c: number) => (i * W + j) * C + c;
    const draw = (sampler: IncrementalSampler, si: number, sj: number, i: number, j: number, c: number): SampleEvent[] => {
      const logits = sampler.logitsAt(si, sj, c); // [B·K]
      const events: SampleEvent[] = [];
      for (let b = 0; b < B; b++) {
        const { value, probability } = drawValue(logits, b * K, K, temperature, rngs[b]!);
        values[b] = value;
        images[b]![at(i, j, c)] = value;
        events.push({ kind: 'value', image: first + b, row: i, col: j, channel: c, value, probability });
      }
      sampler.commit(si, sj, c, values);
      return events;
    };
    const fixed = (sampler: IncrementalSampler, si: number, sj: number, i: number, j: number, c: number): void => {
      for (let b = 0; b < B; b++) values[b] = images[b]![at(i, j, c)]!;
      sampler.commit(si, sj, c, values);
    };

    // ── phase 1: the small image, raster order over s×s'; small rows inside the known rows are kept ──
    let sampler: IncrementalSampler | null = smallSampler(spec, model.params, options.cached)(model, B);
    let small: Tensor4D | null = null;
    try {
      for (let si = 0; si < s; si++)
        for (let sj = 0; sj < s2; sj++)
          for (let c = 0; c < C; c++)
            if (si * f < keepRows) fixed(sampler, si, sj, si * f, sj * f, c);
            else yield draw(sampler, si, sj, si * f, sj * f, c);
      sampler.dispose();
      sampler = null;

      // ── phase 2: the rest in raster order, given the small image ──
      const smallValues = new Float32Array(B * s * s2 * C);
      for (let b = 0; b < B; b++)
        for (let si = 0; si < s; si++)
          for (let sj = 0; sj < s2; sj++)
            for (let c = 0; c < C; c++) smallValues[((b * s + si) * s2 + sj) * C + c] = images[b]![at(si * f, sj * f, c)]!;
      small = tf.tensor4d(smallValues, [B, s, s2, C]) as Tensor4D;
      sampler = conditionalSampler(spec, model.params, small, options.cached)(model, B);
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++)
          for (let c = 0; c < C; c++) {
            if (i < keepRows || isSmall(f, i, j)) {
              fixed(sampler, i, j, i, j, c);
              continue;
            }
            const events = draw(sampler, i, j, i, j, c);
            events.push(...completionEvents(spec, i, j, c, first, images));
            yield events;
          }
      if (keepRows === H) yield images.map((pixels, b) => ({ kind: 'image', image: first + b, pixels }) as const);
    } finally {
      sampler?.dispose();
      small?.dispose();
    }
  }
}

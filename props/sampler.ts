// Samplers as the property library sees them, and a minimal reference sampler of its own: a plain
// loop over positions in the family's order that reruns the model and draws from the likelihood's
// full log-probabilities at the one position (temperature 1). Independent of src/sampling and of the
// likelihood's own `draw`, so the two can be compared; `fromIncremental` and `streamSampler` adapt
// the project's samplers (src/sampling, streams/sample.ts) to the same shape.

import { logProbsOf, type AutoregressiveModel } from '../src/model.js';
import { Rng } from '../src/rng.js';
import type { SamplerFactory } from '../src/sampling/types.js';
import { tf, type Tensor4D } from '../src/tf.js';
import { sampleImages } from '../streams/sample.js';
import type { CheckableModel } from './check.js';
import { byRank, orderOf } from './order.js';
import { positionOf, valuesPerImage } from './types.js';

/** Draw `count` images at temperature 1, deterministic in `seed`: flat levels, raster order, channel fastest. */
export type Sampler = (
  model: AutoregressiveModel,
  count: number,
  seed: number,
) => readonly ArrayLike<number>[] | Promise<readonly ArrayLike<number>[]>;

/** The log-probabilities of one position for the whole batch, read back: [B·K]. */
const logProbsAt = (model: AutoregressiveModel, x: Float32Array, batch: number, i: number, j: number, c: number): Float32Array => {
  const { height: H, width: W, channels: C, levels: K } = model.spec;
  const t = tf.tidy(() => {
    const lp = logProbsOf(model, tf.tensor4d(x, [batch, H, W, C]) as Tensor4D); //    [B, H, W, C, K]
    return tf.reshape(tf.slice(lp, [0, i, j, c, 0], [batch, 1, 1, 1, K]), [batch * K]); // [B·K]
  });
  const out = Float32Array.from(t.dataSync());
  t.dispose();
  return out;
};

/**
 * The reference sampler: H·W·C forward passes over the whole batch, one categorical draw per value,
 * visiting values in the family's autoregressive order (props/order.ts; raster for most).
 */
export const referenceSampler: Sampler = (model, count, seed) => {
  const { width: W, channels: C, levels: K } = model.spec;
  const n = valuesPerImage(model.spec);
  const rng = Rng.fromSeed(seed, 101);
  const x = new Float32Array(count * n);
  const weights = new Float64Array(K);
  for (const q of byRank(orderOf(model.spec))) {
    const { i, j, c } = positionOf(model.spec, q);
    const logits = logProbsAt(model, x, count, i, j, c); // [B·K]
    for (let b = 0; b < count; b++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, logits[b * K + k]!);
      for (let k = 0; k < K; k++) weights[k] = Math.exp(logits[b * K + k]! - max);
      x[b * n + q] = rng.categorical(weights);
    }
  }
  return Array.from({ length: count }, (_, b) => x.subarray(b * n, (b + 1) * n));
};

/**
 * A project sampler (an IncrementalSampler factory such as src/sampling/naive.ts) driven in the
 * family's order at temperature 1 with the likelihood's own draw, in batches of `batchSize`.
 */
export const fromIncremental =
  (factory: SamplerFactory, batchSize = 256): Sampler =>
  (model, count, seed) => {
    const { width: W, channels: C } = model.spec;
    const P = C * model.likelihood.featuresPerChannel;
    const n = valuesPerImage(model.spec);
    const rng = Rng.fromSeed(seed, 0);
    const order = byRank(orderOf(model.spec));
    const images: Int32Array[] = [];
    for (let start = 0; start < count; start += batchSize) {
      const batch = Math.min(batchSize, count - start);
      const label = (model as CheckableModel).fixedLabel;
      const sampler = label !== undefined ? factory(model, batch, new Int32Array(batch).fill(label)) : factory(model, batch);
      try {
        const out = Array.from({ length: batch }, () => new Int32Array(n));
        const values = new Float32Array(batch);
        for (const q of order) {
          const { i, j, c } = positionOf(model.spec, q);
          const head = sampler.headAt(i, j, c);
          for (let b = 0; b < batch; b++) {
            values[b] = model.likelihood.draw(head, b * P, c, out[b]!, q - c, 1, rng).value;
            out[b]![q] = values[b]!;
          }
          sampler.commit(i, j, c, values);
        }
        images.push(...out);
      } finally {
        sampler.dispose();
      }
    }
    return images;
  };

/**
 * The project's sampling stream (streams/sample.ts `sampleImages`) at temperature 1: the family's
 * cached sampler when `cached` (default), else the naive one.
 */
export const streamSampler =
  (o: { readonly cached?: boolean; readonly batchSize?: number } = {}): Sampler =>
  (model, count, seed) =>
    sampleImages(model, {
      count,
      seed,
      ...((model as CheckableModel).fixedLabel !== undefined ? { labels: (model as CheckableModel).fixedLabel } : {}),
      temperature: 1,
      cached: o.cached ?? true,
      batchSize: o.batchSize ?? Math.min(count, 512),
      sliceMs: 1000,
    });

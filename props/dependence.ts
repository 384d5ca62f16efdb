// Measuring what a model's distributions depend on, two independent ways, batched so that one
// forward (and one backward) pass covers every (value, input) pair of an image. "The distribution of
// value p" is its K log-probabilities under the model's likelihood (logProbsOf: for a softmax, the
// log-softmax of its logits), called logits below for short:
//  - by gradient: B = n copies of the image; the scalar Σ_b u · logits[b, p = b] has, in copy b,
//    exactly the gradient of logit p with respect to every input (copies do not interact);
//  - by perturbation: copy q has input q changed to another level; logit p moved when it differs
//    from the unchanged image's.
// n = H·W·C. Rows are chunked so that no tensor holds more than ~2M logits.

import { logProbsOf, type AutoregressiveModel } from '../src/model.js';
import { Rng } from '../src/rng.js';
import { tf, type Tensor4D } from '../src/tf.js';
import { emptyDependence, type Dependence } from './field.js';
import { valuesPerImage } from './types.js';

/** A measured dependence set and, for every (p, q), the largest evidence seen (|gradient| or |Δlogit|). */
export interface Measured {
  readonly dependence: Dependence;
  readonly magnitude: Float32Array; // [n, n]
  /** For perturbation: the image, and the level input q was changed to, where magnitude was largest. */
  readonly witness?: { readonly image: Int32Array; readonly to: Int32Array }; // image: [n, n] base index, to: [n, n]
}

const MAX_LOGITS_PER_CHUNK = 2_000_000;

const chunkRows = (n: number, levels: number): number => Math.max(1, Math.floor(MAX_LOGITS_PER_CHUNK / (n * levels)));

/** The projection u over K levels: fixed, positive, distinct (so no accidental cancellation). */
const projection = (levels: number, seed: number): Float32Array => {
  const rng = Rng.fromSeed(seed, 7);
  return Float32Array.from({ length: levels }, () => 0.5 + rng.uniform());
};

/**
 * |∂(u · logits at p) / ∂ input q| for every p, q, maximised over the images; dependence where it
 * exceeds `tolerance` (0: any non-zero gradient). The input is the float32 level tensor x.
 */
export const gradientDependence = (
  model: AutoregressiveModel,
  images: readonly (readonly number[])[],
  options: { tolerance?: number; seed?: number } = {},
): Measured => {
  const s = model.spec;
  const { height: H, width: W, channels: C, levels: K } = s;
  const n = valuesPerImage(s);
  const tol = options.tolerance ?? 0;
  const u = projection(K, options.seed ?? 0);
  const magnitude = new Float32Array(n * n);
  const rows = chunkRows(n, K);
  for (const image of images)
    for (let p0 = 0; p0 < n; p0 += rows) {
      const b = Math.min(rows, n - p0); // copies in this chunk, copy r asks about logit p0 + r
      const xs = new Float32Array(b * n);
      for (let r = 0; r < b; r++) for (let q = 0; q < n; q++) xs[r * n + q] = image[q]!;
      const select = new Float32Array(b * n * K); // [b, n, K]: u at (r, p0 + r), else 0
      for (let r = 0; r < b; r++) for (let k = 0; k < K; k++) select[(r * n + p0 + r) * K + k] = u[k]!;
      const g = tf.tidy(() => {
        const x = tf.tensor4d(xs, [b, H, W, C]); //                    [b, H, W, C]
        const sel = tf.tensor3d(select, [b, n, K]); //                 [b, n, K]
        const f = (input: tf.Tensor) =>
          tf.sum(tf.mul(tf.reshape(logProbsOf(model, input as Tensor4D), [b, n, K]), sel)); // []
        return tf.grad(f)(x); //                                        [b, H, W, C]
      });
      const gv = g.dataSync();
      g.dispose();
      for (let r = 0; r < b; r++)
        for (let q = 0; q < n; q++) {
          const v = Math.abs(gv[r * n + q]!);
          const at = (p0 + r) * n + q;
          if (v > magnitude[at]!) magnitude[at] = v;
        }
    }
  const dependence = emptyDependence(s);
  for (let k = 0; k < magnitude.length; k++) dependence.has[k] = magnitude[k]! > tol || Number.isNaN(magnitude[k]!) ? 1 : 0;
  return { dependence, magnitude };
};

/**
 * max_k |logits_p(x with input q changed) − logits_p(x)| for every p, q, maximised over the images;
 * dependence where it exceeds tolerance·(1 + max_k |logits_p(x)|). Each input is changed to a
 * different level drawn from `seed`.
 */
export const perturbationDependence = (
  model: AutoregressiveModel,
  images: readonly (readonly number[])[],
  options: { tolerance?: number; seed?: number } = {},
): Measured => {
  const s = model.spec;
  const { height: H, width: W, channels: C, levels: K } = s;
  const n = valuesPerImage(s);
  const tol = options.tolerance ?? 1e-5;
  const rng = Rng.fromSeed(options.seed ?? 0, 11);
  const magnitude = new Float32Array(n * n);
  const hits = new Uint8Array(n * n);
  const witnessImage = new Int32Array(n * n).fill(-1);
  const witnessTo = new Int32Array(n * n).fill(-1);
  const rows = chunkRows(n, K);
  images.forEach((image, m) => {
    const baseLogits = readLogits(model, [image]); // [n·K]
    const to = Int32Array.from({ length: n }, (_, q) => (image[q]! + 1 + rng.int(K - 1)) % K);
    for (let q0 = 0; q0 < n; q0 += rows) {
      const b = Math.min(rows, n - q0);
      const batch = Array.from({ length: b }, (_, r) => {
        const x = image.slice();
        x[q0 + r] = to[q0 + r]!;
        return x;
      });
      const logits = readLogits(model, batch); // [b·n·K]
      for (let r = 0; r < b; r++) {
        const q = q0 + r;
        for (let p = 0; p < n; p++) {
          let d = 0;
          let scale = 0;
          for (let k = 0; k < K; k++) {
            const l0 = baseLogits[p * K + k]!;
            const diff = Math.abs(logits[(r * n + p) * K + k]! - l0);
            if (diff > d || Number.isNaN(diff)) d = Number.isNaN(diff) ? Infinity : diff;
            if (Math.abs(l0) > scale) scale = Math.abs(l0);
          }
          const at = p * n + q;
          if (d > magnitude[at]!) {
            magnitude[at] = d;
            witnessImage[at] = m;
            witnessTo[at] = to[q]!;
          }
          if (d > tol * (1 + scale)) hits[at] = 1;
        }
      }
    }
  });
  return { dependence: { size: n, has: hits }, magnitude, witness: { image: witnessImage, to: witnessTo } };
};

/** Log-probabilities of every level of every value of a batch of flat images, read back: [B·n·K]. */
export const readLogits = (model: AutoregressiveModel, images: readonly (readonly number[])[]): Float32Array => {
  const { height: H, width: W, channels: C } = model.spec;
  const n = valuesPerImage(model.spec);
  const xs = new Float32Array(images.length * n);
  images.forEach((im, b) => xs.set(im, b * n));
  const t = tf.tidy(() => logProbsOf(model, tf.tensor4d(xs, [images.length, H, W, C])));
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
};

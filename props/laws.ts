// The laws as pure predicates over measured data (no tensors here): each takes what was measured
// from a model and returns the smallest counterexample, or a summary of what was checked.
// "Smallest" is the first in the autoregressive order: earliest logit, then earliest input.

import * as E from 'fp-ts/lib/Either.js';
import type { ImageShape } from '../src/model.js';
import type { Dependence } from './field.js';
import type { Measured } from './dependence.js';
import { byRank, rasterOrder } from './order.js';
import { chiSquare } from './stats.js';
import { positionOf, showPosition, type CheckResult, type Counterexample } from './types.js';

const evidence = (s: ImageShape, m: Measured, images: readonly (readonly number[])[], p: number, q: number) => {
  const at = p * m.dependence.size + q;
  const w = m.witness;
  const imageIndex = w ? w.image[at]! : -1;
  const image = imageIndex >= 0 ? images[imageIndex] : images[0];
  return {
    position: positionOf(s, p),
    input: positionOf(s, q),
    delta: m.magnitude[at]!,
    ...(image ? { image: [...image] } : {}),
    ...(w && imageIndex >= 0 && image ? { from: image[q]!, to: w.to[at]! } : {}),
  };
};

/**
 * Causality: no logit p depends on an input q of rank ≥ p's (in raster order: a later pixel, or a
 * channel ≥ c of its own pixel). The earliest p, then the earliest q, is reported.
 */
export const causalityLaw = (
  s: ImageShape,
  m: Measured,
  images: readonly (readonly number[])[],
  how: 'gradient' | 'perturbation',
  rank: Int32Array = rasterOrder(s),
): CheckResult => {
  const n = m.dependence.size;
  const order = byRank(rank);
  for (let rp = 0; rp < n; rp++)
    for (let rq = rp; rq < n; rq++) {
      const p = order[rp]!;
      const q = order[rq]!;
      if (m.dependence.has[p * n + q]) {
        const e = evidence(s, m, images, p, q);
        const what = how === 'gradient' ? `|gradient| = ${e.delta.toExponential(3)}` : `logits moved by ${e.delta.toExponential(3)}`;
        return E.left({
          law: 'causality',
          kind: 'leak',
          message: `logit at ${showPosition(e.position)} depends on the input at ${showPosition(e.input)}, which comes at or after it (by ${how}: ${what})`,
          ...e,
        } satisfies Counterexample);
      }
    }
  return E.right({ law: 'causality', checks: (n * (n + 1)) / 2 * Math.max(1, images.length), details: { how, values: n } });
};

/**
 * Channel ordering within a pixel: channel c sees exactly the channels c' < c of its own pixel
 * (R none, G sees R, B sees R and G).
 */
export const channelOrderLaw = (s: ImageShape, m: Measured, images: readonly (readonly number[])[]): CheckResult => {
  const n = m.dependence.size;
  const C = s.channels;
  for (let pix = 0; pix < s.height * s.width; pix++)
    for (let c = 0; c < C; c++)
      for (let c2 = 0; c2 < C; c2++) {
        const p = pix * C + c;
        const q = pix * C + c2;
        const sees = m.dependence.has[p * n + q] === 1;
        if (sees !== c2 < c) {
          const e = evidence(s, m, images, p, q);
          return E.left({
            law: 'channel-order',
            kind: sees ? 'leak' : 'missing',
            message: sees
              ? `channel ${c} at ${showPosition(e.position)} sees channel ${c2} of its own pixel (only channels < ${c} allowed; evidence ${e.delta.toExponential(3)})`
              : `channel ${c} at ${showPosition(e.position)} does not see channel ${c2} of its own pixel (every channel < ${c} expected)`,
            ...e,
          } satisfies Counterexample);
        }
      }
  return E.right({ law: 'channel-order', checks: s.height * s.width * C * C, details: { pixels: s.height * s.width, channels: C } });
};

/** Full use of the past: the measured dependence set equals the reference field, pair for pair. */
export const fullPastLaw = (
  s: ImageShape,
  m: Measured,
  reference: Dependence,
  images: readonly (readonly number[])[],
): CheckResult => {
  const n = m.dependence.size;
  let inField = 0;
  for (let p = 0; p < n; p++)
    for (let q = 0; q < n; q++) {
      const want = reference.has[p * n + q] === 1;
      const got = m.dependence.has[p * n + q] === 1;
      if (want) inField++;
      if (want !== got) {
        const e = evidence(s, m, images, p, q);
        return E.left({
          law: 'full-past',
          kind: got ? 'leak' : 'missing',
          message: got
            ? `logit at ${showPosition(e.position)} depends on the input at ${showPosition(e.input)}, outside the reference receptive field (evidence ${e.delta.toExponential(3)})`
            : `logit at ${showPosition(e.position)} does not depend on the input at ${showPosition(e.input)}, inside the reference receptive field (a mask too strict?)`,
          ...e,
        } satisfies Counterexample);
      }
    }
  return E.right({ law: 'full-past', checks: n * n, details: { pairsInField: inField, values: n } });
};

/** Normalisation: Σ over every image of exp(log p(x)) = 1 within `tolerance`. */
export const normalisationLaw = (logProbs: ArrayLike<number>, tolerance: number): CheckResult => {
  let sum = 0;
  for (let k = 0; k < logProbs.length; k++) sum += Math.exp(logProbs[k]!);
  const error = Math.abs(sum - 1);
  return error <= tolerance && Number.isFinite(sum)
    ? E.right({ law: 'normalisation', checks: logProbs.length, details: { sum, error, tolerance } })
    : E.left({
        law: 'normalisation',
        message: `probabilities over all ${logProbs.length} images sum to ${sum}, expected 1 within ${tolerance}`,
        delta: sum - 1,
        details: { sum, images: logProbs.length, tolerance },
      });
};

/**
 * Sampler–likelihood agreement: counts of sampled images against N · p(x) over every image, by
 * Pearson's χ²; fails when the p-value is below `alpha` (the false-alarm rate of a correct sampler).
 * Also fails outright when a sample falls on an image of probability 0.
 */
export const samplerAgreementLaw = (probabilities: ArrayLike<number>, counts: ArrayLike<number>, alpha: number): CheckResult => {
  let total = 0;
  for (let k = 0; k < counts.length; k++) total += counts[k]!;
  const expected = Float64Array.from({ length: probabilities.length }, (_, k) => total * probabilities[k]!);
  const chi = chiSquare(counts, expected);
  let tv = 0;
  for (let k = 0; k < counts.length; k++) tv += Math.abs(counts[k]! / total - probabilities[k]!);
  tv /= 2;
  const details = { statistic: chi.statistic, df: chi.df, pValue: chi.pValue, alpha, samples: total, totalVariation: tv };
  return chi.pValue >= alpha
    ? E.right({ law: 'sampler-agreement', checks: total, details })
    : E.left({
        law: 'sampler-agreement',
        message: `${total} samples disagree with the likelihood: χ² = ${chi.statistic.toFixed(2)} on ${chi.df} df, p = ${chi.pValue.toExponential(3)} < α = ${alpha} (total variation ${tv.toFixed(4)})`,
        delta: tv,
        details,
      });
};

/** Determinism: two runs with the same seed give identical values (flat, image after image). */
/**
 * A class-conditional model's distributions depend on the label: the largest change of any value's
 * log-probabilities between two labels, over the images measured, exceeds `tolerance`.
 */
export const labelDependenceLaw = (largestChange: number, labels: number, tolerance: number): CheckResult =>
  largestChange > tolerance
    ? E.right({ law: 'label-dependence', checks: labels, details: { largestChange } })
    : E.left({
        law: 'label-dependence',
        message: `the distribution ignores the label: over ${labels} labels no log-probability moved by more than ${tolerance} (largest ${largestChange})`,
        details: { largestChange },
      });

export const determinismLaw = (s: ImageShape, a: ArrayLike<number>, b: ArrayLike<number>): CheckResult => {
  const n = s.height * s.width * s.channels;
  if (a.length !== b.length)
    return E.left({ law: 'determinism', message: `same seed gave ${a.length} and ${b.length} values` });
  for (let k = 0; k < a.length; k++)
    if (a[k] !== b[k]) {
      const image = Math.floor(k / n);
      const position = positionOf(s, k % n);
      return E.left({
        law: 'determinism',
        message: `same seed, different samples: image ${image} at ${showPosition(position)} is ${a[k]} then ${b[k]}`,
        position,
        from: a[k]!,
        to: b[k]!,
        details: { image },
      });
    }
  return E.right({ law: 'determinism', checks: a.length });
};

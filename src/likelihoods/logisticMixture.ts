// Discretized logistic mixture likelihood (PixelCNN++, Salimans, Karpathy, Chen & Kingma 2017;
// openai/pixel-cnn nn.py `discretized_mix_logistic_loss` / `sample_from_discretized_mix_logistic`).
//
// A level k ∈ 0..K−1 is the value x̃ = 2k/(K−1) − 1 in [−1, 1]; bin k is [x̃ − h, x̃ + h) with
// h = 1/(K−1) (bin width 2/(K−1)), the edge bins 0 and K−1 extended to −∞ and +∞. A pixel has M
// components shared by its channels: component m has weight π_m = softmax(logits)_m and, per channel,
// a logistic of mean μ_cm and scale s_cm = exp(max(log s, −7)) (PixelCNN++'s floor). The means are
// coupled R → G → B as PixelCNN++ does, with α, β, γ = tanh(raw):
//     μ_R = m_R,   μ_G = m_G + α·x̃_R,   μ_B = m_B + β·x̃_R + γ·x̃_G,
// and  p(x) = Σ_m π_m Π_c P(x_c | μ_cm, s_cm),  P(k | μ, s) = σ((x̃ + h − μ)/s) − σ((x̃ − h − μ)/s).
//
// Per channel (what `logProbs` and `draw` give): p(x_c | x_<c) = Σ_m w_cm P(x_c | μ_cm, s_cm), with
// the posterior weights w_cm ∝ π_m Π_{c'<c} P(x_c' | μ_c'm, s_c'm). Their product over c telescopes
// to p(x), which `nll` computes directly (one log-sum-exp over components per pixel).
//
// Head layout: [B, H, W, C·F], channel c's block at [c·F, (c+1)·F), F = S·M with S = 3 slots for
// C = 1 and S = 4 for C = 3; slot s of block c is features [c·F + s·M, c·F + (s+1)·M):
//
//     block \ slot |  0                     |  1         |  2             |  3
//     -------------+------------------------+------------+----------------+----------------------
//     0 (R / grey) |  mixture logits (all C)|  means m_R |  log-scales R  |  unused (C = 3)
//     1 (G)        |  α raw: G from R       |  means m_G |  log-scales G  |  unused
//     2 (B)        |  β raw: B from R       |  means m_B |  log-scales B  |  γ raw: B from G
//
// so channel c reads blocks ≤ c (the logits from block 0, earlier channels' means and scales for the
// posterior weights) and the values of channels < c, as types.ts allows. Unused slots get no gradient.
//
// Numerics (float32 on the backend): the edge bins are log σ(a) = −softplus(−a) and
// log(1 − σ(b)) = −softplus(b). An inner bin's mass σ(a) − σ(b) (a = (x̃ + h − μ)/s,
// b = (x̃ − h − μ)/s, y = (a − b)/2 = h/s) is computed without cancellation in two ways:
//   - y < ½ (a component wider than the bin): σ(a) − σ(b) = sinh(y) / (2 cosh(a/2) cosh(b/2)), with
//     log sinh y = log y + y²/6 − y⁴/180 + y⁶/2835 (error < 1e-7 at ½) and log y = −log s − log(K−1) exactly;
//   - y ≥ ½ (narrower): the difference of the two tails on the far side of the mean,
//     e^{−softplus(p)} − e^{−softplus(q)} with (p, q) = (b, a) above the mean and (−a, −b) below it,
//     as −softplus(p) + log1p(−e^{softplus(p) − softplus(q)}), where softplus(q) − softplus(p) ≥ y ≥ ½.
// Both are exact formulas (relative error a few float32 ulps), so the tiny-probability branch of
// PixelCNN++ (log of the density at the bin centre times the bin width when σ(a) − σ(b) < 1e-5, an
// approximation that exists because the plain difference cancels in float32) is not needed: every
// bin, however improbable, has its exact log-mass, and the K masses sum to 1 to float32 precision.
// Components are combined by log-sum-exp, so logits hundreds apart and masses that underflow stay
// finite.
//
// `nll` reads only the observed values ([N, C, M] tensors, N = B·H·W, no K-wide tensor); every op it
// uses has a gradient on the wasm backend (no `tf.where`: its gradient sends zeros into its condition,
// and the comparison that made it — less, equal — has no gradient in tfjs).

import type { ImageShape } from '../model.js';
import type { Rng } from '../rng.js';
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Tensor5D } from '../tf.js';
import type { Draw, Likelihood, LikelihoodKind, LikelihoodSpec } from './types.js';

/** Most components a spec may ask for. */
export const MAX_COMPONENTS = 64;
/** PixelCNN++'s floor on log-scales. */
export const MIN_LOG_SCALE = -7;

/** Slots per channel block: logits/coefficient, means, log-scales (and γ when C = 3). */
export const slotsPerChannel = (channels: number): number => (channels === 1 ? 3 : 4);

// ---------------------------------------------------------------- tensor maths

const LN2 = Math.LN2;

/** softplus(v) = log(1 + eᵛ): tfjs's kernel (one op; stable for large |v| on wasm and cpu, checked in the spec). */
const softplus = (v: Tensor): Tensor => tf.softplus(v);

/** log cosh(v) = v + softplus(−2v) − log 2 (gradient tanh v). */
const logCosh = (v: Tensor): Tensor => tf.sub(tf.add(v, softplus(tf.mul(v, -2))), LN2);

/**
 * log P(level | μ, log s) for levels `lv`, all broadcast together: the bin masses described in the
 * header, chosen per element (every branch finite, so gradients are too). The bin edges are
 * (2k − K)/(K−1) and (2k + 2 − K)/(K−1), one rounding each from integers, so that bin k's upper edge
 * is the very float of bin k+1's lower edge: the masses telescope and sum to 1 even where a narrow
 * logistic (s = e^−7, 1/s ≈ 1100) magnifies the edge's rounding.
 */
const logMass = (lv: Tensor, mu: Tensor, logScale: Tensor, levels: number): Tensor => {
  const h = 1 / (levels - 1);
  const ls = tf.maximum(logScale, MIN_LOG_SCALE); //                     log s (floored)
  const invS = tf.exp(tf.neg(ls)); //                                    1/s
  const twice = tf.mul(lv, 2);
  const hiEdge = tf.div(tf.sub(twice, levels - 2), levels - 1); //      x̃ + h
  const loEdge = tf.div(tf.sub(twice, levels), levels - 1); //          x̃ − h
  const a = tf.mul(tf.sub(hiEdge, mu), invS); //                         upper edge, standardised
  const b = tf.mul(tf.sub(loEdge, mu), invS); //                         lower edge, standardised
  const y = tf.mul(invS, h); //                                          (a − b)/2
  const lower = tf.neg(softplus(tf.neg(a))); //                          log σ(a): bin 0
  const upper = tf.neg(softplus(b)); //                                  log(1 − σ(b)): bin K−1
  // wide components (y < ½): log sinh y − log 2 − log cosh(a/2) − log cosh(b/2)
  const ys = tf.minimum(y, 0.5);
  const ys2 = tf.square(ys);
  const series = tf.mul(ys2, tf.add(1 / 6, tf.mul(ys2, tf.add(-1 / 180, tf.mul(ys2, 1 / 2835))))); // log(sinh y / y)
  const logY = tf.sub(tf.neg(ls), Math.log(levels - 1)); //              log y, exactly
  const wide = tf.sub(tf.sub(tf.add(logY, series), LN2), tf.add(logCosh(tf.mul(a, 0.5)), logCosh(tf.mul(b, 0.5))));
  // narrow components (y ≥ ½): the two tails beyond the bin, on the side away from the mean
  const isWide = tf.step(tf.sub(0.5, y));
  const aboveMean = tf.step(tf.add(a, b));
  const p = select(aboveMean, b, tf.neg(a)); //                          nearer edge, as a tail (p ≥ −y)
  const q = select(isWide, tf.add(p, 1), select(aboveMean, a, tf.neg(b))); // farther edge (p + 1 when unused: finite)
  const spP = softplus(p);
  const narrow = tf.sub(tf.log1p(tf.neg(tf.exp(tf.sub(spP, softplus(q))))), spP);
  const inner = select(isWide, wide, narrow);
  const isFirst = tf.step(tf.sub(0.5, lv)); //                           level 0
  const isLast = tf.step(tf.sub(lv, levels - 1.5)); //                   level K−1 (K = 2: both edges, no inner bin)
  return select(isFirst, lower, select(isLast, upper, inner));
};

/**
 * mask·a + (1 − mask)·b for a 0/1 mask made with `step` (whose gradient is zero): a select that the
 * backend can differentiate through (tf.where's gradient reaches the comparison behind its condition,
 * which has none).
 * Both branches are finite everywhere, so the product with 0 is exactly 0.
 */
const select = (mask: Tensor, a: Tensor, b: Tensor): Tensor => tf.add(tf.mul(mask, a), tf.mul(tf.sub(1, mask), b));

/** log Σ exp over `axis` (max-shifted). */
const logSumExp = (v: Tensor, axis: number): Tensor => tf.logSumExp(v, axis);

interface Parts {
  /** log π: [N, M] */
  readonly logPi: Tensor;
  /** coupled means μ_cm: [N, C, M] */
  readonly mu: Tensor;
  /** raw log-scales: [N, C, M] */
  readonly logScale: Tensor;
}

/** Split the head [B, H, W, C·F] into log π, coupled means and log-scales, given x's values. */
const partsOf = (head: Tensor4D, x: Tensor4D, C: number, M: number, levels: number): Parts => {
  const [b, hh, w] = head.shape;
  const n = b * hh * w;
  const S = slotsPerChannel(C);
  const blocks = tf.reshape(head, [n, C, S, M]); //                                  [N, C, S, M]
  const slot = (c: number, s: number) => tf.reshape(tf.slice(blocks, [0, c, s, 0], [n, 1, 1, M]), [n, M]); // [N, M]
  const logits = slot(0, 0); //                                                      [N, M]
  const logPi = tf.sub(logits, tf.reshape(logSumExp(logits, 1), [n, 1])); //         [N, M]
  const means = tf.reshape(tf.slice(blocks, [0, 0, 1, 0], [n, C, 1, M]), [n, C, M]); // [N, C, M]
  const logScale = tf.reshape(tf.slice(blocks, [0, 0, 2, 0], [n, C, 1, M]), [n, C, M]); // [N, C, M]
  if (C === 1) return { logPi, mu: means, logScale };
  const xt = tf.sub(tf.mul(tf.reshape(x, [n, C]), 2 / (levels - 1)), 1); //          [N, C]  x̃
  const xr = tf.slice(xt, [0, 0], [n, 1]); //                                         [N, 1]
  const xg = tf.slice(xt, [0, 1], [n, 1]); //                                         [N, 1]
  const muR = tf.slice(means, [0, 0, 0], [n, 1, M]); //                               [N, 1, M]
  const muG = tf.add(tf.slice(means, [0, 1, 0], [n, 1, M]), tf.reshape(tf.mul(tf.tanh(slot(1, 0)), xr), [n, 1, M]));
  const muB = tf.add(
    tf.slice(means, [0, 2, 0], [n, 1, M]),
    tf.reshape(tf.add(tf.mul(tf.tanh(slot(2, 0)), xr), tf.mul(tf.tanh(slot(2, 3)), xg)), [n, 1, M]),
  ); //                                                                               [N, 1, M]
  return { logPi, mu: tf.concat([muR, muG, muB], 1), logScale }; //                   mu [N, C, M]
};

/** log P(x_c | component m) at the observed values: [N, C, M]. */
const observedLogMass = (parts: Parts, x: Tensor4D, C: number, levels: number): Tensor => {
  const n = parts.logPi.shape[0]!;
  return logMass(tf.reshape(x, [n, C, 1]), parts.mu, parts.logScale, levels); //        [N, C, M]
};

const nllOf = (head: Tensor4D, x: Tensor4D, C: number, M: number, levels: number): Tensor1D =>
  tf.tidy(() => {
    const [b, h, w] = head.shape;
    const parts = partsOf(head, x, C, M, levels);
    const joint = tf.add(parts.logPi, tf.sum(observedLogMass(parts, x, C, levels), 1)); // [N, M]
    const perPixel = logSumExp(joint, 1); //                                            [N]
    return tf.neg(tf.sum(tf.reshape(perPixel, [b, h * w]), 1)) as Tensor1D; //          [B]
  });

const logProbsOf = (head: Tensor4D, x: Tensor4D, C: number, M: number, levels: number): Tensor5D =>
  tf.tidy(() => {
    const [b, h, w] = head.shape;
    const n = b * h * w;
    const parts = partsOf(head, x, C, M, levels);
    const observed = observedLogMass(parts, x, C, levels); //                            [N, C, M]
    // prior over components for channel c: log π + Σ_{c'<c} log P(x_c' | m), then normalised
    const priors: Tensor[] = [parts.logPi];
    for (let c = 1; c < C; c++) priors.push(tf.add(priors[c - 1]!, tf.reshape(tf.slice(observed, [0, c - 1, 0], [n, 1, M]), [n, M])));
    const prior = tf.stack(priors, 1); //                                                 [N, C, M]
    const posterior = tf.sub(prior, tf.reshape(logSumExp(prior, 2), [n, C, 1])); //      [N, C, M]
    const mass = logMass(
      tf.reshape(tf.range(0, levels, 1, 'float32'), [1, 1, 1, levels]),
      tf.reshape(parts.mu, [n, C, M, 1]),
      tf.reshape(parts.logScale, [n, C, M, 1]),
      levels,
    ); //                                                                                 [N, C, M, K]
    const lp = logSumExp(tf.add(tf.reshape(posterior, [n, C, M, 1]), mass), 2); //        [N, C, K]
    return tf.reshape(lp, [b, h, w, C, levels]) as Tensor5D;
  });

// ---------------------------------------------------------------- scalar maths (draws)

const softplus1 = (v: number): number => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
const logCosh1 = (v: number): number => v + softplus1(-2 * v) - LN2;

/** log P(k | μ, log s), in float64: the same formulas as `logMass`. */
export const logMassAt = (k: number, mu: number, logScale: number, levels: number): number => {
  const h = 1 / (levels - 1);
  const ls = Math.max(logScale, MIN_LOG_SCALE);
  const invS = Math.exp(-ls);
  const a = ((2 * k + 2 - levels) / (levels - 1) - mu) * invS;
  const b = ((2 * k - levels) / (levels - 1) - mu) * invS;
  if (k === 0) return -softplus1(-a);
  if (k === levels - 1) return -softplus1(b);
  const y = h * invS;
  if (y < 0.5) {
    const y2 = y * y;
    return -ls - Math.log(levels - 1) + y2 * (1 / 6 + y2 * (-1 / 180 + y2 / 2835)) - LN2 - logCosh1(a / 2) - logCosh1(b / 2);
  }
  const [p, q] = a + b >= 0 ? [b, a] : [-a, -b];
  const spP = softplus1(p);
  return Math.log1p(-Math.exp(spP - softplus1(q))) - spP;
};

let scratch = new Float64Array(3 * MAX_COMPONENTS);

/**
 * Channel c of one pixel: component m ∝ exp(w_m / T) (w: posterior log-weights given the pixel's
 * channels < c), then μ + T·s·logit(u), discretised to the nearest level; T = 0 takes the most likely
 * component's mean, rounded. Two uniforms per call. The probability is p(value | x_<c) at T = 1.
 */
const drawMixture = (
  head: ArrayLike<number>,
  offset: number,
  c: number,
  pixel: ArrayLike<number>,
  at: number,
  temperature: number,
  rng: Rng,
  C: number,
  M: number,
  levels: number,
): Draw => {
  const S = slotsPerChannel(C);
  const F = S * M;
  const slot = (ch: number, s: number, m: number) => head[offset + ch * F + s * M + m]!;
  const xt = (ch: number) => (2 * pixel[at + ch]!) / (levels - 1) - 1;
  const meanOf = (ch: number, m: number): number => {
    const base = slot(ch, 1, m);
    if (ch === 0) return base;
    if (ch === 1) return base + Math.tanh(slot(1, 0, m)) * xt(0);
    return base + Math.tanh(slot(2, 0, m)) * xt(0) + Math.tanh(slot(2, 3, m)) * xt(1);
  };
  if (scratch.length < 3 * M) scratch = new Float64Array(3 * M);
  const w = scratch; // [0, M): posterior log-weights; [M, 2M): means; [2M, 3M): log-scales
  let max = -Infinity;
  let arg = 0;
  for (let m = 0; m < M; m++) {
    let v = slot(0, 0, m);
    for (let e = 0; e < c; e++) v += logMassAt(pixel[at + e]!, meanOf(e, m), slot(e, 2, m), levels);
    w[m] = v;
    w[M + m] = meanOf(c, m);
    w[2 * M + m] = slot(c, 2, m);
    if (v > max) {
      max = v;
      arg = m;
    }
  }
  let z1 = 0;
  for (let m = 0; m < M; m++) z1 += Math.exp(w[m]! - max);
  const probabilityOf = (k: number): number => {
    let p = 0;
    for (let m = 0; m < M; m++) p += Math.exp(w[m]! - max + logMassAt(k, w[M + m]!, w[2 * M + m]!, levels));
    return p / z1;
  };
  const uComponent = rng.uniform();
  const uValue = rng.uniform();
  const toLevel = (v: number): number => Math.min(levels - 1, Math.max(0, Math.round(((v + 1) * (levels - 1)) / 2)));
  if (!(temperature > 0)) {
    const value = toLevel(w[M + arg]!);
    return { value, probability: probabilityOf(value) };
  }
  let chosen = M - 1;
  let zt = 0;
  for (let m = 0; m < M; m++) zt += Math.exp((w[m]! - max) / temperature);
  let r = uComponent * zt;
  for (let m = 0; m < M; m++) {
    r -= Math.exp((w[m]! - max) / temperature);
    if (r < 0) {
      chosen = m;
      break;
    }
  }
  const s = Math.exp(Math.max(w[2 * M + chosen]!, MIN_LOG_SCALE)) * temperature;
  const value = toLevel(w[M + chosen]! + s * (Math.log(uValue) - Math.log1p(-uValue)));
  return { value, probability: probabilityOf(value) };
};

// ---------------------------------------------------------------- the likelihood and its kind

export const logisticMixture = (shape: Pick<ImageShape, 'channels' | 'levels'>, components: number): Likelihood => {
  const { channels: C, levels: K } = shape;
  const M = components;
  return {
    kind: 'logistic-mixture',
    featuresPerChannel: slotsPerChannel(C) * M,
    temperatureMeaning:
      "the component weights' logits are divided by the temperature and every logistic's scale multiplied by it; 0 takes the most likely component's mean, rounded to the nearest level",
    nll: (head, x) => nllOf(head, x, C, M, K),
    logProbs: (head, x) => logProbsOf(head, x, C, M, K),
    draw: (head, offset, c, pixel, at, temperature, rng) => drawMixture(head, offset, c, pixel, at, temperature, rng, C, M, K),
  };
};

const checkMixture = (spec: LikelihoodSpec, shape: ImageShape): string[] => {
  const errors: string[] = [];
  const m = spec.components;
  if (!(typeof m === 'number' && Number.isInteger(m) && m >= 1 && m <= MAX_COMPONENTS))
    errors.push(`likelihood.components: expected an integer from 1 to ${MAX_COMPONENTS}, found ${m === undefined ? 'nothing' : JSON.stringify(m)}`);
  for (const k of Object.keys(spec)) if (k !== 'kind' && k !== 'components') errors.push(`likelihood.${k}: 'logistic-mixture' takes only 'components'`);
  if (shape.channels !== 1 && shape.channels !== 3)
    errors.push(`likelihood: 'logistic-mixture' models 1 or 3 channels, found channels = ${shape.channels}`);
  if (!(Number.isInteger(shape.levels) && shape.levels >= 2)) errors.push(`likelihood: 'logistic-mixture' needs levels ≥ 2, found ${shape.levels}`);
  return errors;
};

export const logisticMixtureKind: LikelihoodKind = {
  kind: 'logistic-mixture',
  summary: 'discretized mixture of logistics shared by the channels, R→G→B coupled means (PixelCNN++)',
  check: checkMixture,
  make: (spec, shape) => {
    const errors = checkMixture(spec, shape);
    if (errors.length) throw new Error(errors.join('; '));
    return logisticMixture(shape, spec.components as number);
  },
};

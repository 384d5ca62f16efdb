// The discretized logistic mixture against an independent, slow reference written here from the
// PixelCNN++ paper's formulas (float64 loops: P(k) = σ((x̃ + h − μ)/s) − σ((x̃ − h − μ)/s), edges to
// ±∞, p(x) = Σ_m π_m Π_c P(x_c | μ_cm, s_cm) with μ_G = m_G + αx̃_R, μ_B = m_B + βx̃_R + γx̃_G) —
// values, gradients (central differences of the reference) and all K conditional log-probabilities;
// normalisation over all K levels and over all values of a pixel; the edge bins; extreme parameters;
// draws against logProbs (χ²) with negative controls (a draw that skips the coupling, a draw at
// temperature ≠ 1); and the spec's errors.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeSpec } from '../models/registry.js';
import { presets } from '../models/registry.js';
import { Rng } from '../rng.js';
import { tf, type Tensor4D } from '../tf.js';
import { likelihoodFor, likelihoodRules } from './index.js';
import { logisticMixture, slotsPerChannel } from './logisticMixture.js';
import type { Likelihood } from './types.js';

// ---------------------------------------------------------------- the reference (float64)

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * The paper's bin mass σ(hi) − σ(lo), hi, lo = (x ± h − μ)/s, computed from σ's definition in
 * float64 on the side of the mean where nothing overflows: directly when hi − lo ≥ 1, else as
 * e^lo·expm1(hi − lo) / ((1 + e^hi)(1 + e^lo)), which does not cancel when s ≫ the bin.
 */
const refMass = (k: number, mu: number, logScale: number, K: number): number => {
  const s = Math.exp(Math.max(logScale, -7)); // PixelCNN++ floors log-scales at −7
  const h = 1 / (K - 1);
  const x = (2 * k) / (K - 1) - 1;
  let hi = k === K - 1 ? Infinity : (x + h - mu) / s;
  let lo = k === 0 ? -Infinity : (x - h - mu) / s;
  if (hi + lo > 0) [hi, lo] = [-lo, -hi]; // σ(hi) − σ(lo) = σ(−lo) − σ(−hi)
  if (hi - lo >= 1) return sigmoid(hi) - sigmoid(lo);
  return (Math.exp(lo) * Math.expm1(hi - lo)) / ((1 + Math.exp(hi)) * (1 + Math.exp(lo)));
};

interface RefPixel {
  logPi: number[];
  mean: number[][]; // [c][m], uncoupled
  logScale: number[][];
  alpha: number[];
  beta: number[];
  gamma: number[];
}

/** Read one pixel's parameters from head[offset..] by the layout table of logisticMixture.ts. */
const refParams = (head: ArrayLike<number>, offset: number, C: number, M: number): RefPixel => {
  const S = C === 1 ? 3 : 4;
  const at = (c: number, s: number, m: number) => head[offset + c * S * M + s * M + m]!;
  const logits = Array.from({ length: M }, (_, m) => at(0, 0, m));
  const max = Math.max(...logits);
  const lse = max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
  const per = (s: number) => Array.from({ length: C }, (_, c) => Array.from({ length: M }, (_, m) => at(c, s, m)));
  const coeff = (c: number, s: number) => Array.from({ length: M }, (_, m) => (C === 3 ? Math.tanh(at(c, s, m)) : 0));
  return { logPi: logits.map((l) => l - lse), mean: per(1), logScale: per(2), alpha: coeff(1, 0), beta: coeff(2, 0), gamma: coeff(2, 3) };
};

/** log Σ_m π_m Π_{c < upTo} P(x_c | m) for the pixel values x (levels). */
const refPartial = (p: RefPixel, x: readonly number[], upTo: number, K: number): number => {
  const xt = x.map((v) => (2 * v) / (K - 1) - 1);
  const terms = p.logPi.map((lp, m) => {
    let t = lp;
    for (let c = 0; c < upTo; c++) {
      const mu = p.mean[c]![m]! + (c === 1 ? p.alpha[m]! * xt[0]! : 0) + (c === 2 ? p.beta[m]! * xt[0]! + p.gamma[m]! * xt[1]! : 0);
      t += Math.log(refMass(x[c]!, mu, p.logScale[c]![m]!, K));
    }
    return t;
  });
  const max = Math.max(...terms);
  return max === -Infinity ? -Infinity : max + Math.log(terms.reduce((a, t) => a + Math.exp(t - max), 0));
};

/** log p(x_c = k | x_<c) by the reference. */
const refConditional = (p: RefPixel, x: readonly number[], c: number, k: number, K: number): number => {
  const y = [...x];
  y[c] = k;
  return refPartial(p, y, c + 1, K) - refPartial(p, y, c, K);
};

/** −log p(x) per image by the reference: head [B·H·W·C·F] flat, x [B·H·W·C] flat. */
const refNll = (head: ArrayLike<number>, x: ArrayLike<number>, B: number, pixels: number, C: number, M: number, K: number): number[] => {
  const P = C * (C === 1 ? 3 : 4) * M;
  return Array.from({ length: B }, (_, b) => {
    let nll = 0;
    for (let q = 0; q < pixels; q++) {
      const n = b * pixels + q;
      nll -= refPartial(refParams(head, n * P, C, M), Array.from({ length: C }, (_, c) => x[n * C + c]!), C, K);
    }
    return nll;
  });
};

// ---------------------------------------------------------------- cases

const [B, H, W] = [2, 2, 2];

interface Case {
  l: Likelihood;
  C: number;
  K: number;
  M: number;
  head: Float32Array;
  x: Float32Array;
}

const makeCase = (C: number, K: number, M: number, seed: number, scale = 1.5): Case => {
  const l = logisticMixture({ channels: C, levels: K }, M);
  const rng = Rng.fromSeed(seed, 4);
  const P = C * l.featuresPerChannel;
  const head = Float32Array.from({ length: B * H * W * P }, () => rng.normal() * scale);
  const x = Float32Array.from({ length: B * H * W * C }, () => rng.int(K));
  return { l, C, K, M, head, x };
};

const tensors = (k: Case): [Tensor4D, Tensor4D] => [
  tf.tensor4d(k.head, [B, H, W, k.head.length / (B * H * W)]),
  tf.tensor4d(k.x, [B, H, W, k.C]),
];

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

const configurations: [number, number, number][] = [
  [1, 256, 3],
  [1, 2, 2],
  [3, 4, 2],
  [3, 256, 2],
  [3, 2, 1],
  [3, 7, 3],
];

describe('logistic mixture against the paper-formula reference', () => {
  it('nll equals the reference −log p(x), and −Σ logProbs at the observed values; no tensor leaks', () => {
    configurations.forEach(([C, K, M], i) => {
      const k = makeCase(C, K, M, i);
      const [head, x] = tensors(k);
      const before = tf.memory().numTensors;
      const [ours, viaLogProbs] = tf.tidy(() => [
        Array.from(k.l.nll(head, x).dataSync()),
        Array.from(tf.neg(tf.sum(tf.mul(k.l.logProbs(head, x), tf.oneHot(tf.cast(x, 'int32'), K)), [1, 2, 3, 4])).dataSync()),
      ]);
      expect(tf.memory().numTensors).toBe(before);
      const theirs = refNll(k.head, k.x, B, H * W, C, M, K);
      ours!.forEach((v, b) => expect(close(v, theirs[b]!, 2e-5), `C=${C} K=${K} M=${M} image ${b}: ${v} vs ${theirs[b]}`).toBe(true));
      viaLogProbs!.forEach((v, b) => expect(close(v, theirs[b]!, 2e-5), `logProbs, C=${C} K=${K} M=${M}`).toBe(true));
      tf.dispose([head, x]);
    });
  });

  it('gradients of nll equal central differences of the reference (wasm backend)', () => {
    const weights = [1, -2];
    configurations.forEach(([C, K, M], i) => {
      const k = makeCase(C, K, M, 10 + i);
      const [head, x] = tensors(k);
      const before = tf.memory().numTensors;
      const g = tf.tidy(() => Array.from(tf.grad((h: tf.Tensor) => tf.sum(tf.mul(k.l.nll(h as Tensor4D, x), tf.tensor1d(weights))))(head).dataSync()));
      expect(tf.memory().numTensors).toBe(before);
      const f = (h: Float64Array) => refNll(h, k.x, B, H * W, C, M, K).reduce((a, v, b) => a + v * weights[b]!, 0);
      const h64 = Float64Array.from(k.head);
      const eps = 1e-5;
      const unused: number[] = []; // tf's gradient at slot 3 of blocks 0 and 1 (C = 3): unused
      for (let n = 0; n < h64.length; n++) {
        const v = h64[n]!;
        h64[n] = v + eps;
        const up = f(h64);
        h64[n] = v - eps;
        const down = f(h64);
        h64[n] = v;
        const fd = (up - down) / (2 * eps);
        expect(Math.abs(g[n]! - fd), `C=${C} K=${K} M=${M} feature ${n}: ${g[n]} vs ${fd}`).toBeLessThan(2e-4 * Math.max(1, Math.abs(fd)));
        const feature = n % (C * k.l.featuresPerChannel);
        if (C === 3 && feature % (4 * M) >= 3 * M && feature < 8 * M) unused.push(g[n]!);
      }
      expect(unused.length).toBe(C === 3 ? 2 * M * B * H * W : 0);
      expect(unused.every((v) => v === 0)).toBe(true);
      tf.dispose([head, x]);
    });
  });

  it('logProbs give the reference conditional p(x_c = k | x_<c) at every level', () => {
    configurations.forEach(([C, K, M], i) => {
      const k = makeCase(C, K, M, 20 + i);
      const [head, x] = tensors(k);
      const lp = tf.tidy(() => k.l.logProbs(head, x).dataSync());
      const P = C * k.l.featuresPerChannel;
      for (let n = 0; n < B * H * W; n++) {
        const p = refParams(k.head, n * P, C, M);
        const xs = Array.from({ length: C }, (_, c) => k.x[n * C + c]!);
        for (let c = 0; c < C; c++)
          for (let v = 0; v < K; v++) {
            const ref = refConditional(p, xs, c, v, K);
            const ours = lp[(n * C + c) * K + v]!;
            expect(close(ours, ref, 1e-4), `C=${C} K=${K} M=${M} pixel ${n} channel ${c} level ${v}: ${ours} vs ${ref}`).toBe(true);
          }
      }
      tf.dispose([head, x]);
    });
  });

  it('the reference catches a mixture without coupling (negative control)', () => {
    // the same head with α, β, γ zeroed scores differently: the comparison above can fail
    const k = makeCase(3, 7, 3, 21);
    const P = 3 * k.l.featuresPerChannel;
    const M = 3;
    const uncoupled = Float32Array.from(k.head);
    for (let n = 0; n < B * H * W; n++)
      for (let m = 0; m < M; m++) {
        uncoupled[n * P + 1 * 4 * M + m] = 0; // α: block 1, slot 0
        uncoupled[n * P + 2 * 4 * M + m] = 0; // β: block 2, slot 0
        uncoupled[n * P + 2 * 4 * M + 3 * M + m] = 0; // γ: block 2, slot 3
      }
    const [head, x] = tensors({ ...k, head: uncoupled });
    const ours = tf.tidy(() => Array.from(k.l.nll(head, x).dataSync()));
    const theirs = refNll(k.head, k.x, B, H * W, 3, M, 7);
    expect(ours.some((v, b) => !close(v, theirs[b]!, 1e-3))).toBe(true);
    tf.dispose([head, x]);
  });
});

// ---------------------------------------------------------------- normalisation, edges, extremes

/** Heads for one pixel (B·H·W of them) in every regime: scales from e^−50 to e^50, means far outside [−1, 1], logits hundreds apart. */
const extremeHead = (C: number, M: number, n: number, seed: number): Float32Array => {
  const S = slotsPerChannel(C);
  const rng = Rng.fromSeed(seed, 8);
  const logScales = [-1e4, -50, -7.5, -7, -4, -1, 0, 2, 8, 50, 1e4];
  const means = [-1e3, -3, -1, -0.999, -0.3, 0, 0.01, 0.5, 1, 2.5, 1e3];
  const logits = [-300, 0, 300, 150, -150, 7];
  const pick = <T,>(xs: readonly T[]) => xs[rng.int(xs.length)]!;
  const out = new Float32Array(n * C * S * M);
  for (let q = 0; q < n; q++)
    for (let c = 0; c < C; c++)
      for (let m = 0; m < M; m++) {
        const at = (s: number) => q * C * S * M + c * S * M + s * M + m;
        out[at(0)] = c === 0 ? pick(logits) : rng.normal() * 3;
        out[at(1)] = pick(means);
        out[at(2)] = pick(logScales);
        if (S === 4) out[at(3)] = rng.normal() * 3;
      }
  return out;
};

describe('logistic mixture normalisation and numerics', () => {
  it('logProbs sum to 1 over all K levels within 1e-5 (K = 2, 4, 256; ordinary and extreme parameters)', () => {
    for (const K of [2, 4, 256])
      for (const C of [1, 3])
        for (const extreme of [false, true]) {
          const M = 3;
          const k = makeCase(C, K, M, K + C, 2);
          const head = extreme ? extremeHead(C, M, B * H * W, K * C) : k.head;
          const [h, x] = tensors({ ...k, head });
          const lp = tf.tidy(() => k.l.logProbs(h, x).dataSync());
          for (let r = 0; r < B * H * W * C; r++) {
            let sum = 0;
            for (let v = 0; v < K; v++) {
              expect(Number.isFinite(lp[r * K + v]!) || lp[r * K + v] === -Infinity).toBe(true);
              sum += Math.exp(lp[r * K + v]!);
            }
            expect(Math.abs(sum - 1), `K=${K} C=${C} extreme=${extreme} row ${r}: Σ = ${sum}`).toBeLessThan(1e-5);
          }
          tf.dispose([h, x]);
        }
  });

  it('exp(−nll) sums to 1 over every value of a pixel (the shared components, K^C values)', () => {
    for (const [C, K] of [[3, 4], [3, 2], [1, 256]] as const) {
      const M = 3;
      const l = logisticMixture({ channels: C, levels: K }, M);
      const count = K ** C;
      for (const extreme of [false, true]) {
        const one = extreme ? extremeHead(C, M, 1, 5) : makeCase(C, K, M, 7, 2).head.subarray(0, C * l.featuresPerChannel);
        const head = tf.tidy(() => tf.tile(tf.tensor4d(one, [1, 1, 1, one.length]), [count, 1, 1, 1]) as Tensor4D);
        const xs = Float32Array.from({ length: count * C }, (_, i) => Math.floor(Math.floor(i / C) / K ** (C - 1 - (i % C))) % K);
        const x = tf.tensor4d(xs, [count, 1, 1, C]);
        const nll = tf.tidy(() => l.nll(head, x).dataSync());
        const sum = Array.from(nll).reduce((a, v) => a + Math.exp(-v), 0);
        expect(Math.abs(sum - 1), `C=${C} K=${K} extreme=${extreme}: Σ = ${sum}`).toBeLessThan(1e-5);
        tf.dispose([head, x]);
      }
    }
  });

  it('the edge bins take the tails: p(0) = σ((−1 + h − μ)/s), p(K−1) = 1 − σ((1 − h − μ)/s)', () => {
    for (const K of [2, 4, 256]) {
      const l = logisticMixture({ channels: 1, levels: K }, 1);
      const h = 1 / (K - 1);
      for (const [mu, ls] of [[-3, -2], [2.5, -1], [-1, -5], [1, 0], [0, 3]] as const) {
        const lp = tf.tidy(() => l.logProbs(tf.tensor4d([0, mu, ls], [1, 1, 1, 3]), tf.zeros([1, 1, 1, 1])).dataSync());
        const s = Math.exp(ls);
        const lo = Math.log(sigmoid((-1 + h - mu) / s));
        const hi = Math.log(sigmoid(-(1 - h - mu) / s)); // 1 − σ(v) = σ(−v)
        expect(close(lp[0]!, lo, 1e-5), `K=${K} μ=${mu}: ${lp[0]} vs ${lo}`).toBe(true);
        expect(close(lp[K - 1]!, hi, 1e-5), `K=${K} μ=${mu}: ${lp[K - 1]} vs ${hi}`).toBe(true);
      }
    }
  });

  it('extreme parameters (scales e^±50 and e^±1e4, means ±1e3, logits 300 apart) give finite nll, logProbs and gradients that match the reference', () => {
    for (const [C, K] of [[1, 256], [3, 4], [3, 256], [1, 2]] as const) {
      const M = 3;
      const l = logisticMixture({ channels: C, levels: K }, M);
      const n = 16;
      const headData = extremeHead(C, M, n, C * K);
      const rng = Rng.fromSeed(3, 1);
      const xData = Float32Array.from({ length: n * C }, (_, i) => [0, K - 1, rng.int(K)][i % 3]!);
      const head = tf.tensor4d(headData, [n, 1, 1, headData.length / n]);
      const x = tf.tensor4d(xData, [n, 1, 1, C]);
      const [nll, lp, g] = tf.tidy(() => [
        l.nll(head, x).dataSync(),
        l.logProbs(head, x).dataSync(),
        tf.grad((h: tf.Tensor) => tf.sum(l.nll(h as Tensor4D, x)))(head).dataSync(),
      ]);
      expect(Array.from(nll!).every(Number.isFinite)).toBe(true);
      expect(Array.from(g!).every(Number.isFinite)).toBe(true);
      expect(Array.from(lp!).every((v) => Number.isFinite(v))).toBe(true);
      const ref = refNll(headData, xData, n, 1, C, M, K);
      let compared = 0;
      ref.forEach((r, b) => {
        if (!Number.isFinite(r)) return; // below float64 (a mass < 1e-308): no reference
        compared++;
        expect(close(nll![b]!, r, 1e-4), `C=${C} K=${K} image ${b}: ${nll![b]} vs ${r}`).toBe(true);
      });
      expect(compared).toBeGreaterThan(n / 2);
      tf.dispose([head, x]);
    }
  });
});

// ---------------------------------------------------------------- draws

/** For each channel: do `n` draws (at x's earlier channels) agree with exp(logProbs) by χ²? */
const drawAgrees = (
  l: Likelihood,
  head: Float32Array,
  pixel: Uint8Array,
  K: number,
  C: number,
  temperature: number,
  drawHead: Float32Array = head,
  n = 4000,
): boolean[] => {
  const lp = tf.tidy(() => l.logProbs(tf.tensor4d(head, [1, 1, 1, head.length]), tf.tensor4d(Float32Array.from(pixel), [1, 1, 1, C])).dataSync());
  const rng = Rng.fromSeed(9, 1);
  return Array.from({ length: C }, (_, c) => {
    const counts = new Float64Array(K);
    for (let t = 0; t < n; t++) {
      const d = l.draw(drawHead, 0, c, pixel, 0, temperature, rng);
      counts[d.value]! += 1;
    }
    let chi2 = 0;
    let dof = -1;
    for (let v = 0; v < K; v++) {
      const e = n * Math.exp(lp[c * K + v]!);
      if (e < 5) continue;
      chi2 += (counts[v]! - e) ** 2 / e;
      dof++;
    }
    return chi2 <= dof + 6 * Math.sqrt(2 * Math.max(dof, 1)) + 10;
  });
};

/** A pixel's head (C = 3, M = 3) with strong coupling, distinct components and moderate scales. */
const coupledHead = (M: number): Float32Array => {
  const F = 4 * M;
  const h = new Float32Array(3 * F);
  for (let m = 0; m < M; m++) {
    h[m] = [0.5, -0.3, 0.1][m]!; //                   logits
    for (let c = 0; c < 3; c++) {
      h[c * F + M + m] = [-0.6, 0.1, 0.5][(m + c) % 3]!; // means
      h[c * F + 2 * M + m] = [-1.6, -1.2, -2][(m + 2 * c) % 3]!; // log-scales
    }
    h[F + m] = 2.5; //                                  α: G from R
    h[2 * F + m] = -2; //                               β: B from R
    h[2 * F + 3 * M + m] = 1.5; //                      γ: B from G
  }
  return h;
};

const withoutCoupling = (head: Float32Array, M: number): Float32Array => {
  const F = 4 * M;
  const out = Float32Array.from(head);
  for (let m = 0; m < M; m++) out[F + m] = out[2 * F + m] = out[2 * F + 3 * M + m] = 0;
  return out;
};

describe('logistic mixture draws', () => {
  const M = 3;
  const K = 9;
  const l = logisticMixture({ channels: 3, levels: K }, M);
  const head = coupledHead(M);
  const pixel = Uint8Array.from([8, 1, 0]); // R high, G low: the coupling moves G and B far

  it('draw at temperature 1 follows logProbs at every channel, given the earlier channels', () => {
    expect(drawAgrees(l, head, pixel, K, 3, 1)).toEqual([true, true, true]);
    const grey = logisticMixture({ channels: 1, levels: 256 }, 2);
    const gh = Float32Array.from([0.2, -0.4, -0.5, 0.3, -2.5, -3]);
    expect(drawAgrees(grey, gh, new Uint8Array(1), 256, 1, 1)).toEqual([true]);
  });

  it('a draw that skips the coupling is caught on G and B (negative control)', () => {
    const r = drawAgrees(l, head, pixel, K, 3, 1, withoutCoupling(head, M));
    expect(r[0]).toBe(true); // R has no coupling
    expect(r[1]).toBe(false);
    expect(r[2]).toBe(false);
  });

  it('a draw at temperature 2 or 0.5 is caught (negative control)', () => {
    expect(drawAgrees(l, head, pixel, K, 3, 2).every((ok) => ok)).toBe(false);
    expect(drawAgrees(l, head, pixel, K, 3, 0.5).every((ok) => ok)).toBe(false);
  });

  it('R, G, B drawn in turn follow exp(−nll) over all K³ pixel values (χ²); without coupling they do not', () => {
    const K3 = 4;
    const l3 = logisticMixture({ channels: 3, levels: K3 }, M);
    const count = K3 ** 3;
    const hd = tf.tidy(() => tf.tile(tf.tensor4d(head, [1, 1, 1, head.length]), [count, 1, 1, 1]) as Tensor4D);
    const xs = Float32Array.from({ length: count * 3 }, (_, i) => Math.floor(Math.floor(i / 3) / K3 ** (2 - (i % 3))) % K3);
    const x = tf.tensor4d(xs, [count, 1, 1, 3]);
    const p = Array.from(tf.tidy(() => l3.nll(hd, x).dataSync())).map((v) => Math.exp(-v));
    tf.dispose([hd, x]);
    const chi2Of = (drawHead: Float32Array) => {
      const rng = Rng.fromSeed(4, 2);
      const counts = new Float64Array(count);
      const n = 20000;
      const px = new Uint8Array(3);
      for (let t = 0; t < n; t++) {
        for (let c = 0; c < 3; c++) px[c] = l3.draw(drawHead, 0, c, px, 0, 1, rng).value;
        counts[px[0]! * 16 + px[1]! * 4 + px[2]!]! += 1;
      }
      let chi2 = 0;
      let dof = -1;
      p.forEach((pk, k) => {
        if (n * pk < 5) return;
        chi2 += (counts[k]! - n * pk) ** 2 / (n * pk);
        dof++;
      });
      return { chi2, dof };
    };
    const good = chi2Of(head);
    expect(good.chi2).toBeLessThan(good.dof + 6 * Math.sqrt(2 * good.dof));
    const bad = chi2Of(withoutCoupling(head, M));
    expect(bad.chi2).toBeGreaterThan(bad.dof + 6 * Math.sqrt(2 * bad.dof));
  });

  it('the probability returned is p(value | x_<c) at temperature 1, whatever the temperature', () => {
    const lp = tf.tidy(() => l.logProbs(tf.tensor4d(head, [1, 1, 1, head.length]), tf.tensor4d(Float32Array.from(pixel), [1, 1, 1, 3])).dataSync());
    const rng = Rng.fromSeed(2, 0);
    for (const t of [1, 0.5, 3, 0])
      for (let c = 0; c < 3; c++)
        for (let r = 0; r < 20; r++) {
          const d = l.draw(head, 0, c, pixel, 0, t, rng);
          expect(Math.abs(d.probability - Math.exp(lp[c * K + d.value]!))).toBeLessThan(1e-5);
        }
  });

  it("temperature 0 takes the most likely component's mean, rounded; two uniforms per call whatever the temperature", () => {
    const grey = logisticMixture({ channels: 1, levels: 256 }, 3);
    const gh = Float32Array.from([0.1, 2, -1, /* means */ 0.9, 0.2137, -0.8, /* log-scales */ 0, -3, 1]);
    const d = grey.draw(gh, 0, 0, new Uint8Array(1), 0, 0, Rng.fromSeed(1, 0));
    expect(d.value).toBe(Math.round(((0.2137 + 1) * 255) / 2)); // component 1 has the largest logit
    // for G, the most likely component is the posterior's given R (here component 2, by R's mass)
    const h2 = coupledHead(3);
    const px = Uint8Array.from([8, 0, 0]);
    const lpR = [0, 1, 2].map((m) => h2[m]! + Math.log(refMass(8, h2[3 + m]!, h2[6 + m]!, K)));
    const best = lpR.indexOf(Math.max(...lpR));
    const muG = h2[12 + 3 + best]! + Math.tanh(h2[12 + best]!) * 1;
    expect(l.draw(h2, 0, 1, px, 0, 0, Rng.fromSeed(1, 0)).value).toBe(Math.min(K - 1, Math.max(0, Math.round(((muG + 1) * (K - 1)) / 2))));
    for (const t of [0, 0.3, 1, 2.5]) {
      const a = Rng.fromSeed(5, 1);
      const b = Rng.fromSeed(5, 1);
      l.draw(head, 0, 2, pixel, 0, t, a);
      b.uniform();
      b.uniform();
      expect(a.state).toBe(b.state);
    }
  });
});

// ---------------------------------------------------------------- the spec

describe('logistic mixture spec', () => {
  const grey = { height: 2, width: 2, channels: 1 as const, levels: 256 };
  it('check names the field and what was expected', () => {
    const rule = (components: unknown) => likelihoodRules({ kind: 'logistic-mixture', components }, grey);
    expect(rule(10)).toEqual([]);
    expect(rule(1)).toEqual([]);
    expect(rule(64)).toEqual([]);
    expect(rule(0)[0]).toBe('likelihood.components: expected an integer from 1 to 64, found 0');
    expect(rule(65)[0]).toBe('likelihood.components: expected an integer from 1 to 64, found 65');
    expect(rule(1.5)[0]).toBe('likelihood.components: expected an integer from 1 to 64, found 1.5');
    expect(rule('ten')[0]).toBe('likelihood.components: expected an integer from 1 to 64, found "ten"');
    expect(likelihoodRules({ kind: 'logistic-mixture' }, grey)[0]).toBe('likelihood.components: expected an integer from 1 to 64, found nothing');
    expect(likelihoodRules({ kind: 'logistic-mixture', components: 2, scale: 3 }, grey)).toEqual(["likelihood.scale: 'logistic-mixture' takes only 'components'"]);
    expect(likelihoodRules({ kind: 'logistic-mixture', components: 2 }, { ...grey, channels: 2 as 1 })[0]).toMatch(/1 or 3 channels, found channels = 2/);
    expect(() => likelihoodFor({ kind: 'logistic-mixture', components: 0 }, grey)).toThrow(/likelihood\.components/);
  });

  it('a model spec with a mixture decodes, and a bad one says which field', () => {
    const spec = { ...presets.tiny({ ...grey, channels: 3 }), likelihood: { kind: 'logistic-mixture', components: 5 } };
    expect(E.isRight(decodeSpec(spec))).toBe(true);
    const bad = decodeSpec({ ...spec, likelihood: { kind: 'logistic-mixture', components: 0 } });
    expect(E.isLeft(bad) && bad.left.message).toMatch(/likelihood\.components: expected an integer from 1 to 64, found 0/);
    expect(likelihoodFor({ kind: 'logistic-mixture', components: 5 }, { ...grey, channels: 3 }).featuresPerChannel).toBe(20);
    expect(likelihoodFor({ kind: 'logistic-mixture', components: 5 }, grey).featuresPerChannel).toBe(15);
  });
});

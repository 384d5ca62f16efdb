// The likelihoods against textbook formulations: −log p(x) from `nll` equals −Σ logProbs at the
// observed values (values and gradients, also where p underflows float32), logProbs normalise over
// the K levels, and `draw` samples what logProbs says (χ²) at temperature 1 — with negative controls
// that each check must reject.
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { tf, type Tensor4D, type Tensor5D } from '../tf.js';
import { bernoulli } from './bernoulli.js';
import { categorical } from './categorical.js';
import { likelihoodRules } from './index.js';
import type { Likelihood } from './types.js';

const [B, H, W] = [3, 2, 4];

/** −Σ over values of logProbs at x: [B]. */
const referenceNll = (l: Likelihood, head: Tensor4D, x: Tensor4D, levels: number) =>
  tf.tidy(() => tf.neg(tf.sum(tf.mul(l.logProbs(head, x), tf.oneHot(tf.cast(x, 'int32'), levels)), [1, 2, 3, 4])));

/** Textbook log-softmax of the head as [B, H, W, C, K] logits. */
const textbookCategorical = (head: Tensor4D, C: number, K: number) => tf.logSoftmax(tf.reshape(head, [B, H, W, C, K]) as Tensor5D);

const cases = (channels: number, levels: number, scale: number, seed: number) => {
  const rng = Rng.fromSeed(seed, 2);
  const l = levels === 2 && seed % 2 === 1 ? bernoulli({ channels }) : categorical({ channels, levels });
  const P = channels * l.featuresPerChannel;
  const head = tf.tensor4d(Float32Array.from({ length: B * H * W * P }, () => rng.normal() * scale), [B, H, W, P]);
  const x = tf.tensor4d(Float32Array.from({ length: B * H * W * channels }, () => rng.int(levels)), [B, H, W, channels]);
  return { l, head, x };
};

const compare = (channels: number, levels: number, scale: number, seed: number): number[] => {
  const { l, head, x } = cases(channels, levels, scale, seed);
  const weights = tf.tensor1d([1, -2, 0.5]);
  const weighted = (f: (h: Tensor4D) => tf.Tensor) => (h: tf.Tensor) => tf.sum(tf.mul(f(h as Tensor4D), weights));
  const before = tf.memory().numTensors;
  const ours = tf.tidy(() => [l.nll(head, x), tf.grad(weighted((h) => l.nll(h, x)))(head)].map((t) => Array.from(t.dataSync())));
  const theirs = tf.tidy(() =>
    [referenceNll(l, head, x, levels), tf.grad(weighted((h) => referenceNll(l, h, x, levels)))(head)].map((t) => Array.from(t.dataSync())),
  );
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([head, x, weights]);
  ours[0]!.forEach((v, i) => expect(Math.abs(v - theirs[0]![i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(theirs[0]![i]!))));
  ours[1]!.forEach((v, i) => expect(Math.abs(v - theirs[1]![i]!)).toBeLessThan(1e-4));
  return ours[0]!;
};

describe('likelihood nll', () => {
  it('categorical: equals −Σ log-softmax at the target, values and gradients', () => {
    compare(3, 7, 3, 0);
    compare(1, 256, 2, 2);
  });
  it('categorical logProbs are the textbook log-softmax', () => {
    const { l, head, x } = cases(3, 5, 2, 4);
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(l.logProbs(head, x), textbookCategorical(head, 3, 5)))).dataSync()[0]!);
    expect(d).toBeLessThan(1e-5);
    tf.dispose([head, x]);
  });
  it('bernoulli: equals −Σ log σ(±ℓ), values and gradients', () => {
    compare(1, 2, 3, 1);
    compare(3, 2, 3, 3);
  });
  it('stays exact when the target probability underflows float32 (head values hundreds apart)', () => {
    for (const seed of [0, 1]) {
      const nll = compare(3, 2, 300, seed);
      expect(nll.every(Number.isFinite)).toBe(true);
      expect(Math.max(...nll)).toBeGreaterThan(1000);
    }
  });
  it('logProbs normalise over the levels', () => {
    for (const seed of [0, 1]) {
      const { l, head, x } = cases(3, 2, 4, seed);
      const sums = tf.tidy(() => Array.from(tf.sum(tf.exp(l.logProbs(head, x)), 4).dataSync()));
      sums.forEach((s) => expect(Math.abs(s - 1)).toBeLessThan(1e-5));
      tf.dispose([head, x]);
    }
  });
});

/** χ² of `n` draws of channel c at one pixel against exp(logProbs) there; false when it fails. */
const drawAgrees = (l: Likelihood, head: Float32Array, levels: number, channels: number, temperature: number, n = 4000): boolean => {
  const lp = tf.tidy(() => l.logProbs(tf.tensor4d(head, [1, 1, 1, head.length]), tf.zeros([1, 1, 1, channels])).dataSync());
  const rng = Rng.fromSeed(9, 1);
  for (let c = 0; c < channels; c++) {
    const counts = new Float64Array(levels);
    for (let t = 0; t < n; t++) counts[l.draw(head, 0, c, new Uint8Array(channels), 0, temperature, rng).value]! += 1;
    let chi2 = 0;
    let dof = -1;
    for (let k = 0; k < levels; k++) {
      const e = n * Math.exp(lp[c * levels + k]!);
      if (e < 5) continue;
      chi2 += (counts[k]! - e) ** 2 / e;
      dof++;
    }
    if (chi2 > dof + 6 * Math.sqrt(2 * Math.max(dof, 1)) + 10) return false;
  }
  return true;
};

describe('likelihood draw', () => {
  const head = Float32Array.from({ length: 3 * 5 }, (_, i) => Math.sin(i * 1.7) * 2);
  it('categorical draws what logProbs says at temperature 1, and not at temperature 3 (negative control)', () => {
    const l = categorical({ channels: 3, levels: 5 });
    expect(drawAgrees(l, head, 5, 3, 1)).toBe(true);
    expect(drawAgrees(l, head, 5, 3, 3)).toBe(false);
  });
  it('bernoulli draws what logProbs says at temperature 1, and not at temperature 3 (negative control)', () => {
    const l = bernoulli({ channels: 3 });
    const bits = Float32Array.from([1.5, -0.7, 2.2]);
    expect(drawAgrees(l, bits, 2, 3, 1)).toBe(true);
    expect(drawAgrees(l, bits, 2, 3, 3)).toBe(false);
  });
  it('temperature 0 takes the most likely level and reports its temperature-1 probability; one uniform per draw', () => {
    for (const l of [categorical({ channels: 3, levels: 5 }), bernoulli({ channels: 3 })]) {
      const h = l.kind === 'bernoulli' ? Float32Array.from([1.5, -0.7, 2.2]) : head;
      const K = l.kind === 'bernoulli' ? 2 : 5;
      const lp = tf.tidy(() => l.logProbs(tf.tensor4d(h, [1, 1, 1, h.length]), tf.zeros([1, 1, 1, 3])).dataSync());
      const rng = Rng.fromSeed(3, 1);
      for (let c = 0; c < 3; c++) {
        const probs = Array.from({ length: K }, (_, k) => Math.exp(lp[c * K + k]!));
        const d = l.draw(h, 0, c, new Uint8Array(3), 0, 0, rng);
        expect(d.value).toBe(probs.indexOf(Math.max(...probs)));
        expect(Math.abs(d.probability - Math.max(...probs))).toBeLessThan(1e-6);
      }
      const [a, b] = [Rng.fromSeed(5, 1), Rng.fromSeed(5, 1)];
      l.draw(h, 0, 0, new Uint8Array(3), 0, 0, a);
      l.draw(h, 0, 0, new Uint8Array(3), 0, 2.5, b);
      expect(a.state).toBe(b.state);
    }
  });
});

describe('likelihood rules', () => {
  it("bernoulli needs levels = 2; no kind takes unknown options", () => {
    expect(likelihoodRules({ kind: 'bernoulli' }, { height: 1, width: 1, channels: 1, levels: 4 })[0]).toMatch(/needs levels = 2/);
    expect(likelihoodRules({ kind: 'bernoulli' }, { height: 1, width: 1, channels: 1, levels: 2 })).toEqual([]);
    expect(likelihoodRules({ kind: 'categorical', components: 3 }, { height: 1, width: 1, channels: 1, levels: 4 })[0]).toMatch(/components/);
    expect(likelihoodRules({ kind: 'mixture' }, { height: 1, width: 1, channels: 1, levels: 4 })[0]).toMatch(/likelihood.kind/);
  });
});

// The fused softmax cross-entropy kernel against a float64 definition, and in use: nllPerImage and
// its gradient with the kernel on equal the tfjs ops' (kernel off), in both kernel builds.
import { afterEach, describe, expect, it } from 'vitest';
import { categorical } from '../likelihoods/categorical.js';

/** −log p(x) per image from logits [B, H, W, C, K] through the categorical likelihood (the fused kernel where it runs). */
const nllPerImage = (logits: Tensor5D, x: Tensor4D) => {
  const [b, h, w, c, k] = logits.shape;
  return categorical({ channels: c, levels: k }).nll(logits.reshape([b, h, w, c * k]) as Tensor4D, x);
};
import { Rng } from '../rng.js';
import { tf, type Tensor4D, type Tensor5D } from '../tf.js';
import { crossEntropyKernelName, fusedNllPerImage, setCrossEntropyKernel, softmaxCrossEntropy } from './crossEntropy.js';
import { kernelBuild, useKernelBuild } from './module.js';

/** −log softmax(z)[x] and softmax(z) − onehot(x) per row, in float64. */
const reference = (z: Float32Array, target: Int32Array, levels: number) => {
  const nll = new Float64Array(target.length);
  const grad = new Float64Array(z.length);
  target.forEach((t, r) => {
    const row = z.subarray(r * levels, (r + 1) * levels);
    const m = Math.max(...row);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    nll[r] = m + Math.log(s) - row[t]!;
    row.forEach((v, k) => (grad[r * levels + k] = Math.exp(v - m) / s - (k === t ? 1 : 0)));
  });
  return { nll, grad };
};

const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return w;
};

const problem = (rows: number, levels: number, spread: number, seed: number) => {
  const rng = Rng.fromSeed(seed, 4);
  return {
    z: Float32Array.from({ length: rows * levels }, () => rng.normal() * spread),
    target: Int32Array.from({ length: rows }, () => Math.floor(rng.uniform() * levels)),
  };
};

describe('softmaxCrossEntropy (kernels/crossEntropy.ts)', () => {
  const initial = kernelBuild();
  afterEach(() => {
    useKernelBuild(initial);
    setCrossEntropyKernel(true);
  });

  it.each([
    ['K = 256, logits ~ N(0, 1)', 37, 256, 1],
    ['K = 256, logits ~ N(0, 30): exp far from 1, no overflow', 21, 256, 30],
    ['K = 4', 50, 4, 3],
    ['K = 12', 9, 12, 0.1],
  ])('equals the float64 definition: %s', (_, rows, levels, spread) => {
    const { z, target } = problem(rows, levels, spread, rows);
    const want = reference(z, target, levels);
    for (const build of ['relaxed-simd', 'simd'] as const) {
      useKernelBuild(build);
      const got = softmaxCrossEntropy(z, target, levels);
      expect(worst(Array.from(got.shift, (s, r) => s + Math.log(got.sum[r]!)), want.nll)).toBeLessThan(1e-5);
      expect(worst(got.grad, want.grad)).toBeLessThan(1e-5);
    }
  });

  it('the comparison catches a wrong answer (negative control: every target shifted by one level)', () => {
    const { z, target } = problem(16, 256, 1, 3);
    const got = softmaxCrossEntropy(z, target, 256);
    const wrong = reference(z, target.map((t) => (t + 1) % 256), 256);
    expect(worst(Array.from(got.shift, (s, r) => s + Math.log(got.sum[r]!)), wrong.nll)).toBeGreaterThan(1e-2);
    expect(worst(got.grad, wrong.grad)).toBeGreaterThan(0.5);
  });

  it('refuses what it cannot compute, saying what was expected', () => {
    expect(() => softmaxCrossEntropy(new Float32Array(6), new Int32Array(1), 6)).toThrow(/levels % 4 = 0, got 6/);
    expect(() => softmaxCrossEntropy(new Float32Array(7), new Int32Array(2), 4)).toThrow(/7 values, expected 2 rows × 4/);
    expect(() => softmaxCrossEntropy(new Float32Array(8), Int32Array.from([0, 4]), 4)).toThrow(/target 4 outside 0..3/);
  });

  it('nllPerImage and its gradient are the same with the kernel as with the tfjs ops, in both builds, leaking no tensors', () => {
    expect(tf.getBackend()).toBe('wasm');
    const [b, h, w, c, k] = [3, 4, 5, 2, 256];
    const rng = Rng.fromSeed(11, 2);
    const logits = tf.tensor5d(Float32Array.from({ length: b * h * w * c * k }, () => rng.normal() * 2), [b, h, w, c, k]) as Tensor5D;
    const x = tf.tensor4d(Float32Array.from({ length: b * h * w * c }, () => Math.floor(rng.uniform() * k)), [b, h, w, c]) as Tensor4D;
    const upstream = tf.tensor1d([0.5, -1, 2]);
    const run = () => {
      const before = tf.memory().numTensors;
      const { value, grads } = tf.valueAndGrads((l: tf.Tensor) => tf.sum(tf.mul(nllPerImage(l as Tensor5D, x), upstream)) as tf.Scalar)([logits]);
      const perImage = tf.tidy(() => nllPerImage(logits, x));
      const out = { nll: perImage.dataSync().slice(), total: value.dataSync()[0]!, grad: grads[0]!.dataSync().slice() };
      tf.dispose([value, perImage, ...grads]);
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const fused = ['relaxed-simd', 'simd'].map((build) => {
      useKernelBuild(build as 'simd');
      return run();
    });
    setCrossEntropyKernel(false);
    expect(tf.getKernel(crossEntropyKernelName, 'wasm')).toBeUndefined();
    expect(fusedNllPerImage(logits, x)).toBeNull(); // the fallback really runs now (null: no tensor made)
    const ops = run();
    for (const f of fused) {
      expect(worst(f.nll, ops.nll)).toBeLessThan(1e-5);
      expect(Math.abs(f.total - ops.total) / Math.abs(ops.total)).toBeLessThan(1e-5);
      expect(worst(f.grad, ops.grad)).toBeLessThan(1e-5);
    }
    tf.dispose([logits, x, upstream]);
  });
});

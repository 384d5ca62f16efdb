// The wasm SIMD masked-conv kernels against plain loops, and in use where the masked conv trains.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';
import { initMaskedConv, maskedConv, type MaskedConvSpec } from '../layers/maskedConv.js';
import {
  causalConvForward,
  causalConvGradKernel,
  causalConvGradKernelName,
  causalConvInputGrad,
  causalConvKernelName,
  causalConvKernels,
  causalConvWeightGrad,
  rectangleTaps,
  winogradConvGradKernelName,
  winogradRuns,
} from './causalConv.js';

/** dW [taps·C, O] and db [O] by the definition, one multiply-add at a time. */
const reference = (x: Float32Array, g: Float32Array, [b, h, w, c]: readonly [number, number, number, number], o: number, taps: readonly (readonly [number, number])[]) => {
  const dW = new Float32Array(taps.length * c * o);
  const db = new Float32Array(o);
  for (let n = 0; n < b; n++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        const at = ((n * h + y) * w + xx) * o;
        for (let k = 0; k < o; k++) db[k]! += g[at + k]!;
        taps.forEach(([ry, rx], t) => {
          const sy = y + ry;
          const sx = xx + rx;
          if (sy < 0 || sy >= h || sx < 0 || sx >= w) return;
          const from = ((n * h + sy) * w + sx) * c;
          for (let i = 0; i < c; i++) for (let k = 0; k < o; k++) dW[(t * c + i) * o + k]! += x[from + i]! * g[at + k]!;
        });
      }
  return { dW, db };
};

/** y [B, H, W, O] by the definition. */
const forwardReference = (x: Float32Array, [b, h, w, c]: readonly [number, number, number, number], wts: Float32Array, bias: Float32Array | null, o: number, taps: readonly (readonly [number, number])[]) => {
  const y = new Float32Array(b * h * w * o);
  for (let n = 0; n < b; n++)
    for (let yy = 0; yy < h; yy++)
      for (let xx = 0; xx < w; xx++) {
        const at = ((n * h + yy) * w + xx) * o;
        for (let k = 0; k < o; k++) y[at + k] = bias ? bias[k]! : 0;
        taps.forEach(([ry, rx], t) => {
          const sy = yy + ry;
          const sx = xx + rx;
          if (sy < 0 || sy >= h || sx < 0 || sx >= w) return;
          const from = ((n * h + sy) * w + sx) * c;
          for (let i = 0; i < c; i++) for (let k = 0; k < o; k++) y[at + k]! += x[from + i]! * wts[(t * c + i) * o + k]!;
        });
      }
  return y;
};

/** dx by the definition: Σ over the outputs that read each input pixel. */
const inputGradReference = (g: Float32Array, [b, h, w, o]: readonly [number, number, number, number], wts: Float32Array, c: number, taps: readonly (readonly [number, number])[]) => {
  const dx = new Float32Array(b * h * w * c);
  for (let n = 0; n < b; n++)
    for (let yy = 0; yy < h; yy++)
      for (let xx = 0; xx < w; xx++)
        taps.forEach(([ry, rx], t) => {
          const sy = yy + ry;
          const sx = xx + rx;
          if (sy < 0 || sy >= h || sx < 0 || sx >= w) return;
          const at = ((n * h + yy) * w + xx) * o;
          const to = ((n * h + sy) * w + sx) * c;
          for (let i = 0; i < c; i++) for (let k = 0; k < o; k++) dx[to + i]! += g[at + k]! * wts[(t * c + i) * o + k]!;
        });
  return dx;
};

const random = (n: number, seed: number) => {
  const rng = Rng.fromSeed(seed, 3);
  return Float32Array.from({ length: n }, () => rng.normal());
};

const worstError = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
};

const shapeArb = fc.record({
  b: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 7 }),
  w: fc.integer({ min: 1, max: 9 }),
  c: fc.constantFrom(1, 2, 3, 4, 6, 16),
  o: fc.constantFrom(16, 32, 48),
  cy: fc.integer({ min: 0, max: 3 }),
  kwHalf: fc.integer({ min: 0, max: 3 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});

describe('causalConvForward and causalConvInputGrad (wasm SIMD kernel)', () => {
  it('equal the definition for any image size (odd widths too), rectangle and number of taps', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 1, max: 64 }), fc.boolean(), ({ b, h, w, c, o, cy, kwHalf, seed }, tapPick, withBias) => {
        const kw = 2 * kwHalf + 1;
        const taps = rectangleTaps(cy, kwHalf, kw, 1 + (tapPick % ((cy + 1) * kw)));
        const x = random(b * h * w * c, seed);
        const wts = random(taps.length * c * o, seed + 2);
        const bias = withBias ? random(o, seed + 3) : null;
        const y = causalConvForward(x, [b, h, w, c], wts, bias, o, taps).slice();
        if (worstError(y, forwardReference(x, [b, h, w, c], wts, bias, o, taps)) > 1e-5) return false;
        if (c % 16 !== 0) return true; // the input gradient's outputs are x's channels
        const g = random(b * h * w * o, seed + 4);
        return worstError(causalConvInputGrad(g, [b, h, w, o], wts, c, taps).slice(), inputGradReference(g, [b, h, w, o], wts, c, taps)) < 1e-5;
      }),
      { numRuns: 40, seed: 23 },
    );
  });

  it('a negative control is caught: the taps read one row lower give other values', () => {
    const x = random(2 * 5 * 7 * 4, 1);
    const wts = random(5 * 4 * 16, 2);
    const taps = rectangleTaps(1, 1, 3, 5);
    const lower = taps.map(([ry, rx]) => [ry + 1, rx] as [number, number]);
    const want = forwardReference(x, [2, 5, 7, 4], wts, null, 16, taps);
    expect(worstError(causalConvForward(x, [2, 5, 7, 4], wts, null, 16, taps).slice(), want)).toBeLessThan(1e-5);
    expect(worstError(causalConvForward(x, [2, 5, 7, 4], wts, null, 16, lower).slice(), want)).toBeGreaterThan(1e-2);
  });
});

describe('causalConvWeightGrad (wasm SIMD kernel)', () => {
  it('equals the definition for any image size, rectangle and number of taps', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 1, max: 64 }), ({ b, h, w, c, o, cy, kwHalf, seed }, tapPick) => {
        const kw = 2 * kwHalf + 1;
        const taps = rectangleTaps(cy, kwHalf, kw, 1 + (tapPick % ((cy + 1) * kw)));
        const x = random(b * h * w * c, seed);
        const g = random(b * h * w * o, seed + 1);
        const got = causalConvWeightGrad(x, g, [b, h, w, c], o, taps);
        got.dW = got.dW.slice();
        const want = reference(x, g, [b, h, w, c], o, taps);
        return worstError(got.dW, want.dW) < 1e-5 && worstError(got.db, want.db) < 1e-5;
      }),
      { numRuns: 40, seed: 17 },
    );
  });

  it('a negative control is caught: the same taps shifted one column give another gradient', () => {
    const shape = [2, 5, 6, 4] as const;
    const x = random(2 * 5 * 6 * 4, 1);
    const g = random(2 * 5 * 6 * 16, 2);
    const taps = rectangleTaps(1, 1, 3, 5);
    const shifted = taps.map(([ry, rx]) => [ry, rx + 1] as [number, number]);
    const want = reference(x, g, shape, 16, taps);
    expect(worstError(causalConvWeightGrad(x, g, shape, 16, taps).dW, want.dW)).toBeLessThan(1e-5);
    expect(worstError(causalConvWeightGrad(x, g, shape, 16, shifted).dW, want.dW)).toBeGreaterThan(1e-2);
  });

  it('rejects shapes it does not take, and sizes that do not match', () => {
    expect(() => causalConvWeightGrad(new Float32Array(3), new Float32Array(12), [1, 1, 1, 3], 12, [[0, 0]])).toThrow(/out % 16/);
    expect(() => causalConvWeightGrad(new Float32Array(4), new Float32Array(16), [1, 1, 2, 2], 16, [[0, 0]])).toThrow(/sizes/);
  });

  it('runs as a tfjs kernel on wasm: same values, no tensors left behind', () => {
    expect(causalConvKernels(64, 64).weightGrad).toBe(tf.getBackend() === 'wasm');
    expect(causalConvKernels(63, 64)).toEqual({ forward: tf.getBackend() === 'wasm', inputGrad: false, weightGrad: tf.getBackend() === 'wasm' });
    expect(causalConvKernels(64, 63)).toEqual({ forward: false, inputGrad: tf.getBackend() === 'wasm', weightGrad: false });
    if (tf.getBackend() !== 'wasm') return;
    const shape = [2, 4, 5, 6] as const;
    const xs = random(2 * 4 * 5 * 6, 5);
    const gs = random(2 * 4 * 5 * 32, 6);
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(xs, [...shape]);
    const g = tf.tensor4d(gs, [2, 4, 5, 32]);
    const [dW, db] = causalConvGradKernel(x, g, [1, 1, 3, 5]);
    expect(dW.shape).toEqual([5 * 6, 32]);
    const want = reference(xs, gs, shape, 32, rectangleTaps(1, 1, 3, 5));
    expect(worstError(dW.dataSync() as Float32Array, want.dW)).toBeLessThan(1e-5);
    expect(worstError(db.dataSync() as Float32Array, want.db)).toBeLessThan(1e-5);
    tf.dispose([x, g, dW, db]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('are the forward pass and both gradients of a wide masked 3×3 conv on wasm (the training path uses them)', async () => {
    if (tf.getBackend() !== 'wasm') return;
    const s: MaskedConvSpec = { name: 'c', kh: 3, kw: 3, type: 'B', inFeatures: 16, outFeatures: 16, channels: 1 };
    const params = initMaskedConv(s, Rng.fromSeed(1, 1));
    const x = tf.tensor4d(random(2 * 4 * 4 * 16, 9), [2, 4, 4, 16]);
    const info = await tf.profile(() => {
      const grads = tf.grads((w: tf.Tensor, xx: tf.Tensor) => tf.sum(maskedConv('gather')(s, { ...params, 'c.w': w }, xx as tf.Tensor4D)))([params['c.w']!, x]);
      tf.dispose(grads);
    });
    const names = info.kernels.map((k) => k.name);
    // forward; then either the input gradient and the weight gradient, or (Winograd, winograd.spec.ts) both in one kernel
    if (winogradRuns([1, 1, 3, 5], 16, 16)) expect(names.filter((n) => n === causalConvKernelName || n === winogradConvGradKernelName)).toHaveLength(2);
    else {
      expect(names.filter((n) => n === causalConvKernelName)).toHaveLength(2);
      expect(names).toContain(causalConvGradKernelName);
    }
    expect(names.filter((n) => /Conv2D/.test(n))).toEqual([]);
    tf.dispose([x, ...Object.values(params)]);
  });
});

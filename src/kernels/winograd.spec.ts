// The Winograd path of the causal conv (winograd.ts, kernels/causalConv.ts) against the direct
// kernels, which causalConv.spec.ts checks against the definition; and its exact causality.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';
import { causalConv2d, residualMaskedConv, squareConv } from '../layers/maskedConv.js';
import { causalConvGradKernel, causalConvKernelName, winogradConvGradKernelName, winogradResidualRuns, winogradRuns } from './causalConv.js';
import { ownRowWeightGradInPairs, setOwnRowPairs, setWinograd, setWinogradPlane, setWinogradRunBytes, WINOGRAD_G, WINOGRAD_GY, winogradSupports } from './winograd.js';

const onWasm = () => tf.getBackend() === 'wasm';

const random = (n: number, seed: number, scale = 1) => {
  const rng = Rng.fromSeed(seed, 5);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
};

/** The image sizes the properties draw: batches of 1–2, heights and widths by 4 or not, channels in sixteens. */
const sizeArbs = { b: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 13 }), c: fc.constantFrom(16, 32) };

/** A random layer's tensors for a property run: x [b, h, w, c], weights [taps·c, o], bias [o], dy [b, h, w, o]. */
const randomLayer = (b: number, h: number, w: number, c: number, o: number, taps: number, seed: number) => ({
  x: tf.tensor4d(random(b * h * w * c, seed), [b, h, w, c]),
  wt: tf.tensor2d(random(taps * c * o, seed + 1, 0.2), [taps * c, o]),
  bias: tf.tensor1d(random(o, seed + 2)),
  dy: tf.tensor4d(random(b * h * w * o, seed + 3), [b, h, w, o]),
});

/** y and the gradients of Σ y·dy for x, w, b — through whichever path is switched on. */
const forwardAndGrads = (x: tf.Tensor4D, w: tf.Tensor2D, b: tf.Tensor1D, dy: tf.Tensor4D) =>
  tf.tidy(() => {
    const conv = causalConv2d(1, 1, 3, true);
    const y = conv(x, w, b);
    const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(conv(xx as tf.Tensor4D, ww as tf.Tensor2D, bb as tf.Tensor1D), dy)))([x, w, b]);
    return [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  });

/** Largest |a − b| / (1 + |b|). */
const worst = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return e;
};

afterEach(() => {
  setWinograd(true);
  setWinogradPlane(true);
  setWinogradRunBytes(1.5 * 2 ** 20);
  setOwnRowPairs(true);
});

describe('Winograd F(4, 3) causal conv (wasm)', () => {
  it('takes the 2×3 rectangle with 5 taps (mask B) or 6 (down-shifted), widths in sixteens, and nothing else', () => {
    expect(winogradSupports([1, 1, 3, 5], 64, 64)).toBe(true);
    expect(winogradSupports([1, 1, 3, 6], 32, 16)).toBe(true);
    expect(winogradSupports([1, 1, 3, 4], 64, 64)).toBe(false); // mask A
    expect(winogradSupports([3, 3, 7, 24], 64, 64)).toBe(false);
    expect(winogradSupports([1, 1, 3, 5], 8, 64)).toBe(false);
    expect(winogradSupports([1, 1, 3, 5], 64, 24)).toBe(false);
    setWinograd(false);
    expect(winogradSupports([1, 1, 3, 5], 64, 64)).toBe(false);
  });

  it('its weight transforms are those of F(4, 3) and F(4, 2): Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation, checked in float64', () => {
    // F(4, 3) along x (Lavin & Gray's matrices) and F(4, 2) along y (points 0, 1, −1, 2, ∞)
    const BT = [
      [4, 0, -5, 0, 1, 0],
      [0, -4, -4, 1, 1, 0],
      [0, 4, -4, -1, 1, 0],
      [0, -2, -1, 2, 1, 0],
      [0, 2, -1, -2, 1, 0],
      [0, 4, 0, -5, 0, 1],
    ];
    const AT = [
      [1, 1, 1, 1, 1, 0],
      [0, 1, -1, 2, -2, 0],
      [0, 1, 1, 4, 4, 0],
      [0, 1, -1, 8, -8, 1],
    ];
    const BYT = [
      [2, -1, -2, 1, 0],
      [0, -2, -1, 1, 0],
      [0, 2, -3, 1, 0],
      [0, -1, 0, 1, 0],
      [0, 2, -1, -2, 1],
    ];
    const AYT = [
      [1, 1, 1, 1, 0],
      [0, 1, -1, 2, 0],
      [0, 1, 1, 4, 0],
      [0, 1, -1, 8, 1],
    ];
    const check = (bt: number[][], at: number[][], g: readonly (readonly number[])[], r: number) => {
      const n = bt.length;
      const rng = Rng.fromSeed(3, 1);
      const d = Array.from({ length: n }, () => rng.normal());
      const w = Array.from({ length: r }, () => rng.normal());
      const u = bt.map((row) => row.reduce((s, v, k) => s + v * d[k]!, 0));
      const v = g.map((row) => row.reduce((s, c, k) => s + c * w[k]!, 0));
      const y = at.map((row) => row.reduce((s, a, xi) => s + a * u[xi]! * v[xi]!, 0));
      return y.map((yi, i) => Math.abs(yi - w.reduce((s, wk, k) => s + wk * d[i + k]!, 0)));
    };
    for (const e of check(BT, AT, WINOGRAD_G, 3)) expect(e).toBeLessThan(1e-12);
    for (const e of check(BYT, AYT, WINOGRAD_GY, 2)) expect(e).toBeLessThan(1e-12);
    // negative control: a transform with one coefficient wrong is not the correlation
    const broken = WINOGRAD_G.map((row, i) => (i === 3 ? ([row[0]!, row[1]! * 2, row[2]!] as const) : row));
    expect(Math.max(...check(BT, AT, broken, 3))).toBeGreaterThan(1e-3);
  });

  it('forward pass and every gradient equal the direct kernels for any image size (heights by 4 or not, widths by 4 or not), 5 or 6 taps, both weight-gradient transforms, the own row in pairs or direct', () => {
    if (!onWasm()) return;
    fc.assert(
      fc.property(
        fc.record({
          ...sizeArbs,
          o: fc.constantFrom(16, 32),
          taps: fc.constantFrom(5, 6),
          plane: fc.boolean(),
          pairs: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ b, h, w, c, o, taps, plane, pairs, seed }) => {
          const { x, wt, bias, dy } = randomLayer(b, h, w, c, o, taps, seed);
          try {
            setWinogradPlane(plane);
            setOwnRowPairs(pairs);
            setWinograd(true);
            const fast = forwardAndGrads(x, wt, bias, dy);
            setWinograd(false);
            const direct = forwardAndGrads(x, wt, bias, dy);
            return fast.every((v, i) => worst(v, direct[i]!) < 2e-4);
          } finally {
            tf.dispose([x, wt, bias, dy]);
          }
        },
      ),
      { numRuns: 30, seed: 41 },
    );
  });

  it('gives the same values in runs of images as over the whole batch at once, and as the direct kernels (batches split unevenly, both weight-gradient transforms)', () => {
    if (!onWasm()) return;
    for (const [b, h, taps] of [
      [5, 8, 5],
      [7, 6, 6],
    ] as const) {
      const [w, c, o] = [9, 16, 32];
      const x = tf.tensor4d(random(b * h * w * c, b), [b, h, w, c]);
      const wt = tf.tensor2d(random(taps * c * o, b + 1, 0.2), [taps * c, o]);
      const bias = tf.tensor1d(random(o, b + 2));
      const dy = tf.tensor4d(random(b * h * w * o, b + 3), [b, h, w, o]);
      setWinogradRunBytes(1); // one image a run
      const oneByOne = forwardAndGrads(x, wt, bias, dy);
      setWinogradRunBytes(Infinity);
      const whole = forwardAndGrads(x, wt, bias, dy);
      setWinograd(false);
      const direct = forwardAndGrads(x, wt, bias, dy);
      setWinograd(true);
      oneByOne.forEach((v, i) => {
        expect(worst(v, whole[i]!)).toBeLessThan(1e-5);
        expect(worst(v, direct[i]!)).toBeLessThan(2e-4);
      });
      tf.dispose([x, wt, bias, dy]);
    }
  });

  it('is the path a wide mask-B layer trains on: its forward kernel and one gradient kernel, no tensors left behind', async () => {
    if (!onWasm()) return;
    expect(winogradRuns([1, 1, 3, 5], 16, 16)).toBe(true);
    const x = tf.tensor4d(random(2 * 8 * 8 * 16, 1), [2, 8, 8, 16]);
    const w = tf.tensor2d(random(5 * 16 * 16, 2, 0.2), [5 * 16, 16]);
    const bias = tf.zeros([16]) as tf.Tensor1D;
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => {
      const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(causalConv2d(1, 1, 3, true)(xx as tf.Tensor4D, ww as tf.Tensor2D, bias)))([x, w]);
      tf.dispose(g);
    });
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n === causalConvKernelName)).toHaveLength(1);
    expect(names.filter((n) => n === winogradConvGradKernelName)).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, bias]);
  });
});

describe('Winograd residual layer h + conv(relu(h)) in one op (wasm)', () => {
  /** h + conv(relu(h)) [and its gradients for h, w, b of Σ y·dy]: fused as residualMaskedConv runs it, or `unfused` from relu, the conv and an add (`relu` false: a broken layer without the ReLU). */
  const residualAndGrads = (h: tf.Tensor4D, w: tf.Tensor2D, b: tf.Tensor1D, dy: tf.Tensor4D, how: 'fused' | 'fused-training' | 'unfused' | 'no-relu') =>
    tf.tidy(() => {
      const c = h.shape[3];
      const spec = squareConv(1)('res', 3, 'B', c, c);
      const layer = (hh: tf.Tensor4D, ww: tf.Tensor2D, bb: tf.Tensor1D): tf.Tensor4D => {
        if (how === 'fused' || how === 'fused-training') return residualMaskedConv('gather')(spec, { 'res.w': ww, 'res.b': bb }, hh, { exactInputGradient: how === 'fused' });
        const conv = causalConv2d(1, 1, 3, true);
        return tf.add(hh, conv(how === 'unfused' ? tf.relu(hh) : hh, ww, bb));
      };
      const y = layer(h, w, b);
      const grads = tf.grads((hh: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layer(hh as tf.Tensor4D, ww as tf.Tensor2D, bb as tf.Tensor1D), dy)))([h, w, b]);
      return [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
    });

  it('takes a 3×3 mask-B layer with in = out in sixteens, its own row in pairs; not otherwise', () => {
    if (!onWasm()) return;
    expect(winogradResidualRuns([1, 1, 3, 5], 64, 64)).toBe(true);
    expect(winogradResidualRuns([1, 1, 3, 5], 32, 64)).toBe(false);
    setOwnRowPairs(false);
    expect(winogradResidualRuns([1, 1, 3, 5], 64, 64)).toBe(false);
  });

  it('equals relu, the conv and an add — value and every gradient, any image size, both weight-gradient transforms, exact or training input gradients — and a layer without the ReLU does not', () => {
    if (!onWasm()) return;
    let brokenSeen = 0;
    fc.assert(
      fc.property(
        fc.record({
          ...sizeArbs,
          plane: fc.boolean(),
          training: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ b, h, w, c, plane, training, seed }) => {
          const { x, wt, bias, dy } = randomLayer(b, h, w, c, c, 5, seed);
          try {
            setWinogradPlane(plane);
            const before = tf.memory().numTensors;
            const fused = residualAndGrads(x, wt, bias, dy, training ? 'fused-training' : 'fused');
            expect(tf.memory().numTensors).toBe(before);
            const unfused = residualAndGrads(x, wt, bias, dy, 'unfused');
            const broken = residualAndGrads(x, wt, bias, dy, 'no-relu');
            if (!fused.every((v, i) => worst(v, broken[i]!) < 2e-4)) brokenSeen++;
            return fused.every((v, i) => worst(v, unfused[i]!) < 2e-4);
          } finally {
            tf.dispose([x, wt, bias, dy]);
          }
        },
      ),
      { numRuns: 25, seed: 43 },
    );
    expect(brokenSeen).toBe(25); // negative control: the check tells the layer without its ReLU apart every time
  });

  it('runs as one forward and one gradient kernel, no ReLU, Add, Step or Multiply over the maps', async () => {
    if (!onWasm()) return;
    const [b, h, w, c] = [2, 8, 8, 16];
    const x = tf.tensor4d(random(b * h * w * c, 1), [b, h, w, c]);
    const params = { 'res.w': tf.tensor2d(random(5 * c * c, 2, 0.2), [5 * c, c]), 'res.b': tf.zeros([c]) };
    const spec = squareConv(1)('res', 3, 'B', c, c);
    const dy = tf.onesLike(x);
    const info = await tf.profile(() => {
      const g = tf.grads((xx: tf.Tensor) => residualMaskedConv('gather')(spec, params, xx as tf.Tensor4D))([x], dy);
      tf.dispose(g);
    });
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n === causalConvKernelName)).toHaveLength(1);
    expect(names.filter((n) => n === winogradConvGradKernelName)).toHaveLength(1);
    for (const op of ['Relu', 'Step', 'Multiply', 'Add']) expect(names).not.toContain(op);
    tf.dispose([x, dy, ...Object.values(params)]);
  });
});

describe('Winograd causal conv: exact causality', () => {
  /**
   * Where the gradient of output (y0, x0) (Σ over its channels) into x is not exactly zero, as
   * [dy, dx] offsets from the output — through the layer's forward pass and input gradient.
   */
  const seen = (taps: number, weights: Float32Array, y0: number, x0: number, residual = false): string[] => {
    const [b, h, w, c, o] = [1, 8, 12, 16, 16];
    const x = tf.tensor4d(random(b * h * w * c, 7), [b, h, w, c]);
    const wt = tf.tensor2d(weights, [taps * c, o]);
    const bias = tf.zeros([o]) as tf.Tensor1D;
    const layer = (xx: tf.Tensor4D) => (residual ? residualMaskedConv('gather')(squareConv(1)('res', 3, 'B', c, o), { 'res.w': wt, 'res.b': bias }, xx) : causalConv2d(1, 1, 3, true)(xx, wt, bias));
    const g = tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(layer(xx as tf.Tensor4D), [0, y0, x0, 0], [1, 1, 1, o])))(x).dataSync());
    tf.dispose([x, wt, bias]);
    const out = new Set<string>();
    for (let yy = 0; yy < h; yy++)
      for (let xx = 0; xx < w; xx++)
        for (let ch = 0; ch < c; ch++) if (g[(yy * w + xx) * c + ch] !== 0) out.add(`${yy - y0},${xx - x0}`);
    return [...out].sort();
  };
  const maskB = ['-1,-1', '-1,0', '-1,1', '0,-1', '0,0'];
  /** Offsets after the output in raster order: a row below, or its own row to the right. */
  const future = (t: string) => {
    const [dy, dx] = t.split(',').map(Number) as [number, number];
    return dy > 0 || (dy === 0 && dx > 0);
  };

  it('a mask-B layer on the Winograd path depends on its five taps and on nothing after the output — not even at rounding level — at every column of a tile, its own row in pairs or direct, and as a fused residual layer', () => {
    if (!onWasm()) return;
    expect(winogradRuns([1, 1, 3, 5], 16, 16)).toBe(true);
    const weights = random(5 * 16 * 16, 3, 0.2);
    for (const [pairs, residual] of [
      [true, false],
      [false, false],
      [true, true],
    ] as const) {
      setOwnRowPairs(pairs);
      if (residual) expect(winogradResidualRuns([1, 1, 3, 5], 16, 16)).toBe(true);
      for (const x0 of [0, 1, 2, 3, 4, 7, 11])
        for (const y0 of [0, 3, 4, 7]) {
          const deps = seen(5, weights, y0, x0, residual);
          const inside = maskB.filter((t) => {
            const [dy, dx] = t.split(',').map(Number) as [number, number];
            return y0 + dy >= 0 && x0 + dx >= 0 && x0 + dx < 12;
          });
          for (const t of inside) expect(deps).toContain(t);
          expect(deps.filter(future)).toEqual([]); // (the row above is all past: its other columns may mix in through the transform)
        }
    }
  });

  it('a training step\'s input gradient (exactInputGradient false: the 2-D transform) reaches later pixels at rounding level only — which is why analyses get the exact one', () => {
    if (!onWasm()) return;
    const [b, h, w, c] = [1, 8, 12, 16];
    const x = tf.tensor4d(random(b * h * w * c, 7), [b, h, w, c]);
    const params = { 'res.w': tf.tensor2d(random(5 * c * c, 3, 0.2), [5 * c, c]), 'res.b': tf.zeros([c]) };
    const spec = squareConv(1)('res', 3, 'B', c, c);
    const [y0, x0] = [2, 4];
    const gradOf = (exactInputGradient: boolean) =>
      tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(residualMaskedConv('gather')(spec, params, xx as tf.Tensor4D, { exactInputGradient }), [0, y0, x0, 0], [1, 1, 1, c])))(x).dataSync());
    const exact = gradOf(true);
    const training = gradOf(false);
    let later = 0;
    let largest = 0;
    for (let i = 0; i < exact.length; i++) {
      largest = Math.max(largest, Math.abs(exact[i]!));
      const pixel = Math.floor(i / c);
      const [py, px] = [Math.floor(pixel / w), pixel % w];
      const after = py > y0 || (py === y0 && px > x0);
      if (after) {
        expect(exact[i]).toBe(0);
        later = Math.max(later, Math.abs(training[i]!));
      } else expect(Math.abs(training[i]! - exact[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(exact[i]!)));
    }
    expect(later).toBeGreaterThan(0); // rounding does reach later pixels through the 2-D transform …
    expect(later).toBeLessThan(1e-5 * largest); // … at rounding level
    tf.dispose([x, ...Object.values(params)]);
  });

  it('negative control: the same layer sent through the transform with its own row (6 taps, the third zero) depends on later pixels of its row at rounding level, and the check sees it', () => {
    if (!onWasm()) return;
    const five = random(5 * 16 * 16, 3, 0.2);
    const six = new Float32Array(6 * 16 * 16);
    six.set(five); // taps (−1,−1) (−1,0) (−1,1) (0,−1) (0,0) as before, and (0,+1) all zero
    const leaks = seen(6, six, 2, 4).filter(future);
    expect(leaks.length).toBeGreaterThan(0);
    expect(leaks.every((t) => t.startsWith('0,'))).toBe(true); // later columns of the own row, none below
  });
});

describe('a layer that is only a mask-B own row (1×3, taps left and centre): its weight gradient in pairs', () => {
  const rect = [0, 1, 3, 2] as const;

  it('is taken for the 1×3 own row with widths in sixteens, and nothing else', () => {
    expect(ownRowWeightGradInPairs(rect, 32, 64)).toBe(true);
    expect(ownRowWeightGradInPairs([0, 1, 3, 3], 32, 64)).toBe(false); // a 1×3 row with its right tap (no mask)
    expect(ownRowWeightGradInPairs([0, 2, 5, 3], 32, 64)).toBe(false);
    expect(ownRowWeightGradInPairs(rect, 24, 64)).toBe(false);
    setOwnRowPairs(false);
    expect(ownRowWeightGradInPairs(rect, 32, 64)).toBe(false);
  });

  it('equals the direct kernel (dW, db) over sizes, odd widths and one-column maps included; a gradient with its two taps swapped is told apart', () => {
    if (!onWasm()) return;
    fc.assert(
      fc.property(sizeArbs.b, sizeArbs.h, sizeArbs.w, sizeArbs.c, fc.constantFrom(16, 64), fc.integer({ min: 0, max: 1000 }), (b, h, w, c, o, seed) => {
        const { x, wt, bias, dy } = randomLayer(b, h, w, c, o, 2, seed);
        const run = () => causalConvGradKernel(x, dy, rect).map((t) => {
          const v = t.dataSync().slice() as Float32Array;
          t.dispose();
          return v;
        });
        const [pairsDw, pairsDb] = run();
        setOwnRowPairs(false);
        const [directDw, directDb] = run();
        setOwnRowPairs(true);
        tf.dispose([x, wt, bias, dy]);
        expect(worst(pairsDw!, directDw!)).toBeLessThan(1e-4);
        expect(worst(pairsDb!, directDb!)).toBeLessThan(1e-5);
        // the negative control: the left and centre taps' rows exchanged
        const swapped = Float32Array.from([...pairsDw!.subarray(c * o), ...pairsDw!.subarray(0, c * o)]);
        if (w > 1) expect(worst(swapped, directDw!)).toBeGreaterThan(1e-2);
      }),
      { numRuns: 25, seed: 11 },
    );
  });
});

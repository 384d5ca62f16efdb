// The LSTM scan kernel against the tfjs step loop it replaces (kernels off), on whole Row LSTM and
// Diagonal BiLSTM layers: values and the gradient of every parameter and of the input.
import { afterAll, describe, expect, it } from 'vitest';
import { diagonalBiLstm, diagonalScan, initDiagonalBiLstm, type DiagonalBiLstmLayerSpec } from '../layers/diagonalBiLstm.js';
import { initRowLstm, rowLstm, type RowLstmLayerSpec } from '../layers/rowLstm.js';
import { skew, unskew } from '../layers/skew.js';
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor2D, type Tensor4D } from '../tf.js';
import { lstmScanAvailable, lstmScanBackward, lstmScanForward, rowScanTakesWinograd, setLstmScanKernels, setRowScanWinograd, type ScanGeometry } from './lstmScan.js';

const random = (shape: number[], seed: number) => {
  const rng = Rng.fromSeed(seed, 9);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
};

/** Values and gradients (input first, then parameters by name) of Σ layer(x) · upstream. */
const run = (layer: (p: NamedTensors, x: Tensor4D) => Tensor4D, params: NamedTensors, x: Tensor4D, upstream: tf.Tensor) => {
  const names = Object.keys(params).sort();
  const f = (xx: tf.Tensor, ...ps: tf.Tensor[]) =>
    tf.sum(tf.mul(layer(Object.fromEntries(names.map((n, i) => [n, ps[i]!])), xx as Tensor4D), upstream)) as tf.Scalar;
  const y = tf.tidy(() => layer(params, x));
  const { value, grads } = tf.valueAndGrads(f)([x, ...names.map((n) => params[n]!)]);
  const out = { y: y.dataSync().slice() as Float32Array, grads: grads.map((g) => g.dataSync().slice() as Float32Array) };
  tf.dispose([y, value, ...grads]);
  return out;
};

const worst = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return w;
};

const compare = (layer: (p: NamedTensors, x: Tensor4D) => Tensor4D, params: NamedTensors, x: Tensor4D, upstream: tf.Tensor) => {
  const before = tf.memory().numTensors;
  const ours = run(layer, params, x, upstream);
  expect(tf.memory().numTensors).toBe(before);
  setLstmScanKernels(false);
  try {
    const theirs = run(layer, params, x, upstream);
    const errors = [worst(ours.y, theirs.y), ...ours.grads.map((g, i) => worst(g, theirs.grads[i]!))];
    expect(errors.map((e, i) => `${['y', 'x', ...Object.keys(params).sort()][i]} ${e < 1e-4 ? 'ok' : e}`)).toEqual(errors.map((_, i) => `${['y', 'x', ...Object.keys(params).sort()][i]} ok`));
  } finally {
    setLstmScanKernels(true);
  }
};

describe('lstmScan kernel (wasm) equals the tfjs step loop', () => {
  afterAll(() => {
    setLstmScanKernels(true);
    setRowScanWinograd(true);
  });

  it('is what runs on wasm for hidden % 4 = 0', () => {
    expect(lstmScanAvailable(8)).toBe(tf.getBackend() === 'wasm');
    expect(lstmScanAvailable(6)).toBe(false);
  });

  it.each([8, 20])('a Row LSTM layer, h = %i: values and every gradient (h0, c0, state-to-state, input-to-state, input)', (hidden) => {
    const s: RowLstmLayerSpec = { name: 'r', inFeatures: 6, hidden, channels: 1, rowKernel: 3, conditionFeatures: 0 };
    const params = initRowLstm(s, Rng.fromSeed(2, 1));
    // h0 and c0 that are not zero, so that their own gradients and their effect both show
    params['r.h0'] = random([hidden], 3);
    params['r.c0'] = random([hidden], 4);
    const x = random([2, 5, 7, 6], 5) as Tensor4D;
    compare((p, xx) => rowLstm(s, p, xx), params, x, random([2, 5, 7, hidden], 6));
  });

  it('a Diagonal BiLSTM layer, both directions (one of them a reverse scan), first-layer pixels too', () => {
    const s: DiagonalBiLstmLayerSpec = { name: 'd', inFeatures: 6, hidden: 16, channels: 1, conditionFeatures: 0, pixelFeatures: 1 };
    const params = initDiagonalBiLstm(s, Rng.fromSeed(7, 1));
    for (const d of ['left', 'right']) {
      params[`d.${d}.h0`] = random([16], d === 'left' ? 8 : 9);
      params[`d.${d}.c0`] = random([16], d === 'left' ? 10 : 11);
    }
    const x = random([2, 6, 5, 6], 12) as Tensor4D;
    const pixels = random([2, 6, 5, 1], 13) as Tensor4D;
    compare((p, xx) => diagonalBiLstm(s, p, xx, undefined, pixels), params, x, random([2, 6, 5, 16], 14));
  });

  it('a negative control is caught: the state-to-state taps swapped give other states', () => {
    if (!lstmScanAvailable(4)) return;
    const [b, height, width, h] = [1, 4, 5, 4];
    const pre = random([b, height, width, 4 * h], 15) as Tensor4D;
    const w = random([2 * h, 4 * h], 16) as Tensor2D;
    const [h0, c0] = [random([h], 17), random([h], 18)];
    const want = tf.tidy(() => unskew(diagonalScan(skew(pre), w, h0, c0), width)); // the tfjs step loop
    const g = { batch: b, mode: 'diagonal', height, width, reverse: false, hidden: h } as const;
    const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
    const right = lstmScanForward(read(pre), read(w), read(h0), read(c0), { ...g, offsets: [-1, 0] }).states.slice();
    const swapped = lstmScanForward(read(pre), read(w), read(h0), read(c0), { ...g, offsets: [0, -1] }).states.slice();
    expect(worst(right, read(want))).toBeLessThan(1e-5);
    expect(worst(swapped, read(want))).toBeGreaterThan(1e-2);
    expect(() => lstmScanForward(read(pre), read(w), read(h0), read(c0), { ...g, offsets: [-1, 0, 1] })).toThrow(/sizes/);
    tf.dispose([pre, w, h0, c0, want]);
  });

  // The Row LSTM's backward scan runs its state-to-state products through F(2, 3) (rowScanBackwardF23).
  const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
  const rowInputs = (g: ScanGeometry, seed: number) => {
    const h = g.hidden;
    const n = g.batch * g.height * g.width;
    const ts = [random([n * 4 * h], seed), random([3 * h, 4 * h], seed + 1), random([h], seed + 2), random([h], seed + 3), random([n * h], seed + 4)];
    const [pre, w, h0, c0, dStates] = ts.map(read) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    tf.dispose(ts);
    for (let i = 0; i < w.length; i++) w[i]! *= 0.3;
    return { pre, w, h0, c0, dStates };
  };
  const backwardBoth = (g: ScanGeometry, x: ReturnType<typeof rowInputs>, dStates = x.dStates) => {
    const { tape } = lstmScanForward(x.pre, x.w, x.h0, x.c0, g);
    setRowScanWinograd(true);
    const winograd = lstmScanBackward(dStates, tape, x.w, x.h0, x.c0, g);
    setRowScanWinograd(false);
    try {
      return { winograd, direct: lstmScanBackward(dStates, tape, x.w, x.h0, x.c0, g) };
    } finally {
      setRowScanWinograd(true);
    }
  };

  it.each([
    [2, 5, 7, 8],
    [3, 4, 6, 20],
    [1, 3, 1, 4],
  ])('the Row LSTM backward scan through F(2, 3) equals the direct one (batch %i, %i×%i, h = %i): dPre, dW, dh0, dc0', (batch, height, width, hidden) => {
    const g: ScanGeometry = { batch, mode: 'rows', height, width, offsets: [-1, 0, 1], reverse: false, hidden };
    expect(rowScanTakesWinograd(g)).toBe(true);
    expect(rowScanTakesWinograd({ ...g, mode: 'diagonal', offsets: [-1, 0] })).toBe(false);
    const { winograd, direct } = backwardBoth(g, rowInputs(g, 20 + hidden));
    for (const key of ['dPre', 'dW', 'dh0', 'dc0'] as const) expect([key, worst(winograd[key], direct[key])]).toEqual([key, expect.closeTo(0, 4)]);
    if (width > 2) expect(worst(winograd.dW, direct.dW)).toBeGreaterThan(0); // another computation, not the same one (one column: the same products)
  });

  it('keeps the receptive field exactly: a state gradient reaches row t − k only at columns l − k .. l + k, and exactly zero elsewhere; a wider tap is caught', () => {
    const [batch, height, width, hidden] = [1, 5, 9, 4];
    const g: ScanGeometry = { batch, mode: 'rows', height, width, offsets: [-1, 0, 1], reverse: false, hidden };
    const x = rowInputs(g, 40);
    /** Columns of row r where dPre is not exactly zero, for a gradient on the state at (t, l) only. */
    const reached = (dPre: Float32Array, r: number) =>
      Array.from({ length: width }, (_, col) => col).filter((col) => dPre.subarray((r * width + col) * 4 * hidden, (r * width + col + 1) * 4 * hidden).some((v) => v !== 0));
    for (const [t, l] of [[4, 4], [4, 3], [3, 0], [4, 8]] as const) {
      const dStates = new Float32Array(height * width * hidden);
      dStates.fill(1, (t * width + l) * hidden, (t * width + l + 1) * hidden);
      const { winograd, direct } = backwardBoth(g, x, dStates);
      for (let k = 0; k <= t; k++) {
        const want = Array.from({ length: width }, (_, col) => col).filter((col) => Math.abs(col - l) <= k);
        expect([t, l, k, reached(winograd.dPre, t - k)]).toEqual([t, l, k, want]);
        expect([t, l, k, reached(direct.dPre, t - k)]).toEqual([t, l, k, want]);
      }
    }
    // the negative control: a model whose state-to-state conv also reads two columns to the right
    const dStates = new Float32Array(height * width * hidden);
    dStates.fill(1, (4 * width + 4) * hidden, (4 * width + 5) * hidden);
    const wide = { ...g, offsets: [-1, 0, 2] };
    expect(rowScanTakesWinograd(wide)).toBe(false);
    const { tape } = lstmScanForward(x.pre, x.w, x.h0, x.c0, wide);
    expect(reached(lstmScanBackward(dStates, tape, x.w, x.h0, x.c0, wide).dPre, 3)).not.toEqual([3, 4, 5]);
  });
});

// The LSTM scan kernel against the tfjs step loop it replaces (kernels off), on whole Row LSTM and
// Diagonal BiLSTM layers: values and the gradient of every parameter and of the input.
import { afterAll, describe, expect, it } from 'vitest';
import { diagonalBiLstm, diagonalScan, initDiagonalBiLstm, type DiagonalBiLstmLayerSpec } from '../layers/diagonalBiLstm.js';
import { initRowLstm, rowLstm, type RowLstmLayerSpec } from '../layers/rowLstm.js';
import { skew, unskew } from '../layers/skew.js';
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor2D, type Tensor4D } from '../tf.js';
import { lstmScanAvailable, lstmScanForward, setLstmScanKernels } from './lstmScan.js';

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
  afterAll(() => setLstmScanKernels(true));

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
});

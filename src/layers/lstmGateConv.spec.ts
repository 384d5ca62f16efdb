// The LSTM input-to-state convolution through our wasm kernels against its tfjs path (slices, concat,
// matMul): values and gradients, for the Row LSTM's 1×k and the Diagonal BiLSTM's 1×1, grey and RGB;
// and the unmasked 1×1 (conditioning maps) likewise.
import { describe, expect, it } from 'vitest';
import { setCausalConvKernels } from '../kernels/causalConv.js';
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor4D } from '../tf.js';
import { lstmGateConv, initLstmGateConv, pointwise, type LstmGateConvSpec } from './lstm.js';

const valuesAndGrads = (s: LstmGateConvSpec, params: NamedTensors, x: Tensor4D, upstream: tf.Tensor) => {
  const f = (xx: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(lstmGateConv(s, { [`${s.name}.w`]: w, [`${s.name}.b`]: b }, xx as Tensor4D), upstream)) as tf.Scalar;
  const y = lstmGateConv(s, params, x);
  const { value, grads } = tf.valueAndGrads(f)([x, params[`${s.name}.w`]!, params[`${s.name}.b`]!]);
  const out = [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose([y, value, ...grads]);
  return out;
};

const worst = (a: Float32Array, b: Float32Array) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return w;
};

describe('lstmGateConv through our kernels equals its tfjs path', () => {
  it.each([
    [1, 3, 1, 32, 8],
    [1, 1, 1, 32, 8],
    [1, 3, 3, 48, 12],
    [1, 1, 3, 48, 12],
  ])('%i×%i, %i image channel(s), %i in, h = %i: values and gradients', (kh, kw, channels, inFeatures, hidden) => {
    const s: LstmGateConvSpec = { name: 'g', kh, kw, inFeatures, hidden, channels };
    const rng = Rng.fromSeed(kw * 7 + channels, 2);
    const params = initLstmGateConv(s, rng);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 5 * inFeatures }, () => rng.normal()), [2, 4, 5, inFeatures]);
    const upstream = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 5 * 4 * hidden }, () => rng.normal()), [2, 4, 5, 4 * hidden]);
    const ours = valuesAndGrads(s, params, x, upstream);
    setCausalConvKernels(false);
    let theirs: Float32Array[];
    try {
      theirs = valuesAndGrads(s, params, x, upstream);
    } finally {
      setCausalConvKernels(true);
    }
    ours.forEach((o, i) => expect(worst(o, theirs[i]!)).toBeLessThan(1e-5));
    // a negative control: the input one column to the left changes the values
    const shifted = tf.concat([tf.zeros([2, 4, 1, inFeatures]), tf.slice(x, [0, 0, 0, 0], [2, 4, 4, inFeatures])], 2) as Tensor4D;
    const moved = lstmGateConv(s, params, shifted);
    expect(worst(moved.dataSync() as Float32Array, ours[0]!)).toBeGreaterThan(1e-2);
    tf.dispose([x, upstream, shifted, moved, ...Object.values(params)]);
  });
});

describe('pointwise (unmasked 1×1) through our kernel equals its matMul path', () => {
  it.each([
    [16, 64],
    [32, 16],
    [8, 64], // in not a multiple of 16: the matMul path either way
  ])('%i → %i: values and both gradients', (cin, out) => {
    const rng = Rng.fromSeed(cin + out, 4);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 3 * 5 * cin }, () => rng.normal()), [2, 3, 5, cin]);
    const w = tf.tensor2d(Float32Array.from({ length: cin * out }, () => rng.normal()), [cin, out]);
    const upstream = tf.tensor4d(Float32Array.from({ length: 2 * 3 * 5 * out }, () => rng.normal()), [2, 3, 5, out]);
    const run = (xx: tf.Tensor4D) => {
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(pointwise(a as Tensor4D, b as tf.Tensor2D), upstream)) as tf.Scalar;
      const y = pointwise(xx, w);
      const { value, grads } = tf.valueAndGrads(f)([xx, w]);
      const arrays = [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
      tf.dispose([y, value, ...grads]);
      return arrays;
    };
    const ours = run(x);
    setCausalConvKernels(false);
    let theirs: Float32Array[];
    try {
      theirs = run(x);
    } finally {
      setCausalConvKernels(true);
    }
    ours.forEach((o, i) => expect(worst(o, theirs[i]!)).toBeLessThan(1e-5));
    // a negative control: another input gives other values
    const other = tf.reverse(x, 2) as Tensor4D;
    expect(worst(run(other)[0]!, ours[0]!)).toBeGreaterThan(1e-2);
    tf.dispose([x, w, upstream, other]);
  });

  it('runs as our kernel where it takes the widths', async () => {
    const x = tf.ones([1, 2, 2, 16]) as Tensor4D;
    const w = tf.ones([16, 32]) as tf.Tensor2D;
    const profile = await tf.profile(() => tf.dispose(tf.grads((a: tf.Tensor) => tf.sum(pointwise(a as Tensor4D, w)))([x])));
    expect(profile.kernelNames).toContain('PixelstreamsCausalConv');
    expect(profile.kernelNames).not.toContain('BatchMatMul');
    tf.dispose([x, w]);
  });
});

// maskedConvPlus (addend + masked conv as one op on our direct wasm kernels, the forward kernel
// adding the addend to each output row it writes) against the conv and an add: values and the gradients of x,
// the weights, the bias and the addend, over layer shapes; the fused op is what runs where it can.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { causalConvKernelName } from '../kernels/causalConv.js';
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor4D } from '../tf.js';
import { initMaskedConv, maskedConv, maskedConvPlus, type MaskedConvSpec } from './maskedConv.js';

const random = (shape: number[], seed: number) => {
  const rng = Rng.fromSeed(seed, 3);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
};

/** Values and the gradients (x, w, b, addend) of Σ op(x, addend) · upstream. */
const measure = (op: (p: NamedTensors, x: Tensor4D, addend: Tensor4D) => Tensor4D, s: MaskedConvSpec, [b, h, w]: [number, number, number], seed: number) => {
  const init = initMaskedConv(s, Rng.fromSeed(seed, 1));
  const [wName, bName] = [`${s.name}.w`, `${s.name}.b`];
  const tensors = [random([b, h, w, s.inFeatures], seed + 1), init[wName]!, tf.add(init[bName]!, 0.3), random([b, h, w, s.outFeatures], seed + 2)];
  const upstream = random([b, h, w, s.outFeatures], seed + 3);
  const f = (x: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, addend: tf.Tensor) => tf.sum(tf.mul(op({ [wName]: ww, [bName]: bb }, x as Tensor4D, addend as Tensor4D), upstream));
  const before = tf.memory().numTensors;
  const y = tf.tidy(() => op({ [wName]: tensors[1]!, [bName]: tensors[2]! }, tensors[0] as Tensor4D, tensors[3] as Tensor4D));
  const { value, grads } = tf.valueAndGrads(f)(tensors);
  const out = [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose([y, value, ...grads]);
  expect(tf.memory().numTensors).toBe(before); // no tensor left behind by the op or its gradient
  tf.dispose([...tensors, upstream, ...Object.values(init)]);
  return out;
};

const worst = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!) / (1 + Math.abs(b[i]!))), 0);

describe('maskedConvPlus: addend + masked conv in one op', () => {
  const fused = (s: MaskedConvSpec) => (p: NamedTensors, x: Tensor4D, addend: Tensor4D) => maskedConvPlus('gather')(s, p, x, addend);
  const apart = (s: MaskedConvSpec) => (p: NamedTensors, x: Tensor4D, addend: Tensor4D) => tf.add(addend, maskedConv('gather')(s, p, x)) as Tensor4D;

  it('equals the conv and an add (values; gradients of x, w, b and the addend) over 1×1 and 1×3 layers and sizes; an op that drops its addend is told apart', () => {
    fc.assert(
      fc.property(
        fc.constantFrom([1, 1, 'B'] as const, [1, 3, 'B'] as const, [1, 1, 'A'] as const),
        fc.constantFrom(16, 32),
        fc.constantFrom(16, 32),
        fc.constantFrom<1 | 3>(1, 3),
        fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 })),
        fc.integer({ min: 0, max: 1000 }),
        ([kh, kw, type], inFeatures, outFeatures, channels, size, seed) => {
          if (type === 'A' && inFeatures !== outFeatures) return; // (any shape does; fewer runs)
          const s: MaskedConvSpec = { name: 'o', kh, kw, type, inFeatures: inFeatures * channels, outFeatures: outFeatures * channels, channels };
          const ours = measure(fused(s), s, size, seed);
          const want = measure(apart(s), s, size, seed);
          ours.forEach((v, i) => expect([i, worst(v, want[i]!)]).toEqual([i, expect.closeTo(0, 4)]));
          // the negative control: the conv alone (the addend dropped) differs in the value and the addend's gradient
          const dropped = measure((p, x, addend) => tf.add(tf.mul(addend, 0), maskedConv('gather')(s, p, x)) as Tensor4D, s, size, seed);
          expect(worst(dropped[0]!, want[0]!)).toBeGreaterThan(1e-2);
        },
      ),
      { numRuns: 20, seed: 5 },
    );
  });

  it('runs as one forward kernel with the addend as its fourth input, and no Add, where our kernels take the layer (wasm)', () => {
    if (tf.getBackend() !== 'wasm') return;
    const s: MaskedConvSpec = { name: 'o', kh: 1, kw: 1, type: 'B', inFeatures: 16, outFeatures: 32, channels: 1 };
    const p = initMaskedConv(s, Rng.fromSeed(1, 1));
    const [x, addend] = [random([2, 3, 4, 16], 1), random([2, 3, 4, 32], 2)] as Tensor4D[];
    const kernels: { name: string; inputs: number }[] = [];
    const original = tf.engine().runKernel.bind(tf.engine());
    const spy = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => {
      kernels.push({ name, inputs: Object.keys(inputs).length });
      return original(name, inputs, attrs);
    };
    (tf.engine() as unknown as { runKernel: typeof spy }).runKernel = spy;
    let y: tf.Tensor;
    try {
      y = maskedConvPlus('gather')(s, p, x!, addend!);
    } finally {
      (tf.engine() as unknown as { runKernel: typeof original }).runKernel = original;
    }
    expect(kernels.filter((k) => k.name === causalConvKernelName).map((k) => k.inputs)).toEqual([4]);
    expect(kernels.map((k) => k.name)).not.toContain('Add');
    tf.dispose([x!, addend!, y!, ...Object.values(p)]);
  });
});

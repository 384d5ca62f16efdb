// The categorical head fused with its cross-entropy (kernels/crossEntropy.ts headCrossEntropy, for a
// training step) against the 1×1 layer and the likelihood run apart: −log p(x) per image and every
// gradient; and in use, a PixelCNN training step through it.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { categorical } from '../likelihoods/categorical.js';
import { familyOf } from '../models/registry.js';
import type { PixelCnnSpec } from '../models/pixelcnn/spec.js';
import { Rng } from '../rng.js';
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../tf.js';
import { lossAndGradients, trainingOptions } from '../train/step.js';
import { crossEntropyKernelName, fusedHeadNll, fusedHeadSupports, HEAD_GRADIENT_BYTES, headCrossEntropyKernelName, setHeadFusion } from './crossEntropy.js';

const onWasm = () => tf.getBackend() === 'wasm';

const random = (n: number, seed: number, scale = 1) => {
  const rng = Rng.fromSeed(seed, 9);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
};

/** Largest |a − b| / (1 + |b|). */
const worst = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return e;
};

/** NLL per image and the gradients for x, w, b of Σ_b weight_b · NLL_b — fused, apart (a 1×1 matMul, then the likelihood), or fused with its bias left out (a broken head). */
const nllAndGrads = (x: Tensor4D, w: Tensor2D, bias: Tensor1D, levels: Tensor4D, weights: Tensor1D, how: 'fused' | 'apart' | 'no-bias') =>
  tf.tidy(() => {
    const [b, h, wd, inC] = x.shape;
    const C = levels.shape[3];
    const K = w.shape[1] / C;
    const nll = (xx: Tensor4D, ww: Tensor2D, bb: Tensor1D): Tensor1D => {
      if (how !== 'apart') return fusedHeadNll(xx, ww, how === 'fused' ? bb : tf.mul(bb, 0), levels)!;
      const head = tf.reshape(tf.add(tf.matMul(tf.reshape(xx, [b * h * wd, inC]), ww), bb), [b, h, wd, C * K]) as Tensor4D;
      return categorical({ channels: C, levels: K }).nll(head, levels);
    };
    const value = nll(x, w, bias);
    const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(nll(xx as Tensor4D, ww as Tensor2D, bb as Tensor1D), weights)))([x, w, bias]);
    return [value, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  });

afterEach(() => setHeadFusion(true));

describe('fused categorical head + cross-entropy (wasm)', () => {
  it('takes K in fours, C·K in sixteens and inputs in sixteens, per-image weight gradients within a bound; can be switched off', () => {
    if (!onWasm()) return;
    expect(fusedHeadSupports(16, 64, 1, 256)).toBe(true);
    expect(fusedHeadSupports(16, 32, 3, 16)).toBe(true);
    expect(fusedHeadSupports(16, 24, 1, 256)).toBe(false);
    expect(fusedHeadSupports(16, 64, 1, 2)).toBe(false);
    // the paper's CIFAR head (1024 → 3·256): 3 MiB of weight gradient an image, so 10 images at most
    expect(fusedHeadSupports(10, 1024, 3, 256)).toBe(true);
    expect(fusedHeadSupports(16, 1024, 3, 256)).toBe(false);
    expect(HEAD_GRADIENT_BYTES).toBe(32 * 2 ** 20);
    setHeadFusion(false);
    expect(fusedHeadSupports(16, 64, 1, 256)).toBe(false);
  });

  it('equals the 1×1 layer and the likelihood apart — −log p(x) per image and the gradients of x, W and b, any image size (tiles of 16 pixels split or not), C = 1 or 3, per-image loss weights — and a head without its bias does not', () => {
    if (!onWasm()) return;
    let brokenSeen = 0;
    const runs = 20;
    fc.assert(
      fc.property(
        fc.record({
          b: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 1, max: 7 }),
          w: fc.integer({ min: 1, max: 9 }),
          inC: fc.constantFrom(16, 32),
          ck: fc.constantFrom<[number, number]>([1, 256], [3, 16], [1, 16], [2, 8]),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ b, h, w, inC, ck: [C, K], seed }) => {
          const x = tf.tensor4d(random(b * h * w * inC, seed), [b, h, w, inC]);
          const wt = tf.tensor2d(random(inC * C * K, seed + 1, 0.3), [inC, C * K]);
          const bias = tf.tensor1d(random(C * K, seed + 2));
          const rng = Rng.fromSeed(seed, 3);
          const levels = tf.tensor4d(Float32Array.from({ length: b * h * w * C }, () => Math.floor(rng.uniform() * K)), [b, h, w, C]);
          const weights = tf.tensor1d(Float32Array.from({ length: b }, (_, i) => 0.5 + i));
          try {
            const before = tf.memory().numTensors;
            const fused = nllAndGrads(x, wt, bias, levels, weights, 'fused');
            expect(tf.memory().numTensors).toBe(before);
            const apart = nllAndGrads(x, wt, bias, levels, weights, 'apart');
            const broken = nllAndGrads(x, wt, bias, levels, weights, 'no-bias');
            if (!broken.every((v, i) => worst(v, apart[i]!) < 1e-4)) brokenSeen++;
            return fused.every((v, i) => worst(v, apart[i]!) < 1e-4);
          } finally {
            tf.dispose([x, wt, bias, levels, weights]);
          }
        },
      ),
      { numRuns: runs, seed: 17 },
    );
    expect(brokenSeen).toBe(runs); // negative control: the comparison tells a head without its bias apart every time
  });

  it('refuses a level outside 0..K−1 by name instead of indexing past its row (this kernel and the plain cross-entropy one)', () => {
    if (!onWasm()) return;
    const x = tf.tensor4d(random(2 * 16, 1), [1, 2, 1, 16]);
    const w = tf.tensor2d(random(16 * 16, 2), [16, 16]);
    const bias = tf.zeros([16]) as Tensor1D;
    const levels = tf.tensor4d([3, 16], [1, 2, 1, 1]);
    expect(() => tf.tidy(() => fusedHeadNll(x, w, bias, levels)!)).toThrow(/target 1 is 16, expected a level in 0\.\.15/);
    const head = tf.reshape(tf.matMul(tf.reshape(x, [2, 16]), w), [1, 2, 1, 16]) as Tensor4D;
    expect(() => tf.tidy(() => categorical({ channels: 1, levels: 16 }).nll(head, levels))).toThrow(/target 1 is 16/);
    tf.dispose([x, w, bias, levels, head]);
  });

  it('is what a PixelCNN training step runs at K = 256: one head kernel, no separate cross-entropy, the same loss and gradients as the layer and likelihood apart; evaluation does not take it', async () => {
    if (!onWasm()) return;
    const spec: PixelCnnSpec = { family: 'pixelcnn', height: 5, width: 6, channels: 1, levels: 256, likelihood: { kind: 'categorical' }, hidden: 16, headHidden: 16, residualLayers: 1, firstKernel: 3, kernel: 3 };
    const params = familyOf(spec).init(spec, 3);
    const rng = Rng.fromSeed(5, 1);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 30 }, () => Math.floor(rng.uniform() * 256)), [2, 5, 6, 1]);
    const step = (fused: boolean) => {
      setHeadFusion(fused);
      const { loss, grads } = lossAndGradients(spec, params, x, trainingOptions({ convImpl: 'gather' }, 0));
      const out = [loss, ...Object.keys(grads).sort().map((k) => grads[k]!)].map((t) => t.dataSync().slice() as Float32Array);
      tf.dispose([loss, ...Object.values(grads)]);
      return out;
    };
    const fused = step(true);
    const apart = step(false);
    fused.forEach((v, i) => expect(worst(v, apart[i]!)).toBeLessThan(1e-4));
    setHeadFusion(true);
    const names = async (training: boolean) =>
      (
        await tf.profile(() => {
          const { loss, grads } = lossAndGradients(spec, params, x, training ? trainingOptions({ convImpl: 'gather' }, 0) : { convImpl: 'gather' });
          tf.dispose([loss, ...Object.values(grads)]);
        })
      ).kernels.map((k) => k.name);
    const inTraining = await names(true);
    expect(inTraining.filter((n) => n === headCrossEntropyKernelName)).toHaveLength(1);
    expect(inTraining).not.toContain(crossEntropyKernelName);
    expect(await names(false)).not.toContain(headCrossEntropyKernelName);
    tf.dispose([x, ...Object.values(params)]);
  });
});

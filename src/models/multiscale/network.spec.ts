import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { logProbsOf, nllOf, type AutoregressiveModel } from '../../model.js';
import { tf, type Tensor4D } from '../../tf.js';
import { defaultOptimizer } from '../../train/optimizers.js';
import { disposeAll, initTrainState, trainStep } from '../../train/step.js';
import { decodeSpec, familyOf, initModel } from '../registry.js';
import { multiscale } from './index.js';
import { conditionMap, conditionalModel, multiscaleNll, smallModel, subsample } from './network.js';
import type { MultiscaleSpec } from './spec.js';

const opts = { convImpl: 'gather' as const };
const spec = multiscale.presets.tiny!({ height: 4, width: 4, channels: 1, levels: 2 });

const imageBatch = (b: number, seed: number): Tensor4D =>
  tf.tensor4d(
    Float32Array.from({ length: b * 16 }, (_, i) => ((i * 5 + seed * 3 + ((i * i) % 7)) % 3 === 0 ? 1 : 0)),
    [b, 4, 4, 1],
  ) as Tensor4D;

/** Positions q whose change moves the logits at p, for one image (batched perturbations). */
const dependsOn = (model: AutoregressiveModel, base: Float32Array, p: number): number[] => {
  const { height: H, width: W, channels: C, levels: K } = model.spec;
  const n = H * W * C;
  const batch = new Float32Array((n + 1) * n);
  for (let q = -1; q < n; q++) {
    batch.set(base, (q + 1) * n);
    if (q >= 0) batch[(q + 1) * n + q] = (base[q]! + 1) % K;
  }
  const y = tf.tidy(() => logProbsOf(model, tf.tensor4d(batch, [n + 1, H, W, C]) as Tensor4D));
  const v = y.dataSync();
  y.dispose();
  const out: number[] = [];
  for (let q = 0; q < n; q++) {
    let moved = 0;
    for (let k = 0; k < K; k++) moved = Math.max(moved, Math.abs(v[(q + 1) * n * K + p * K + k]! - v[p * K + k]!));
    if (moved > 1e-5) out.push(q);
  }
  return out;
};

describe('Multi-Scale PixelRNN', () => {
  it('decodes its presets and rejects a factor that does not divide the image', () => {
    expect(E.isRight(decodeSpec(spec))).toBe(true);
    expect(E.isRight(decodeSpec(multiscale.presets.small!({ height: 28, width: 28, channels: 1, levels: 2 })))).toBe(true);
    const bad = decodeSpec({ ...spec, height: 5 });
    expect(E.isLeft(bad) && bad.left.message).toMatch(/factor: expected a divisor of height 5 and width 4, found 2/);
    const bad2 = decodeSpec({ ...spec, factor: 1, small: { ...spec.small, hidden: 0 } });
    expect(E.isLeft(bad2) && bad2.left.message).toMatch(/factor: expected integer in 2\.\.64, found 1/);
    expect(E.isLeft(bad2) && bad2.left.message).toMatch(/small\.hidden: expected integer in 1\.\.16384, found 0/);
  });

  it('subsamples every factor-th pixel of every factor-th row', () => {
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 6 }, (_, i) => i), [1, 4, 6, 2]) as Tensor4D;
    const s = subsample(x, 2);
    expect(s.shape).toEqual([1, 2, 3, 2]);
    // pixel (i, j) holds channels (i·6 + j)·2, +1
    const at = (i: number, j: number) => [(i * 6 + j) * 2, (i * 6 + j) * 2 + 1];
    expect(Array.from(s.dataSync())).toEqual([...at(0, 0), ...at(0, 2), ...at(0, 4), ...at(2, 0), ...at(2, 2), ...at(2, 4)]);
    tf.dispose([x, s]);
  });

  it('upsamples the small image to c features per large pixel, each f×f block from its 3×3 small neighbourhood', () => {
    const s6 = { ...spec, height: 6, width: 6, conditionFeatures: 6 };
    const model = initModel(s6, 1, opts);
    const small = tf.tensor4d([0, 1, 1, 0, 1, 0, 1, 1, 0], [1, 3, 3, 1]) as Tensor4D;
    const other = tf.tensor4d([0, 1, 1, 0, 1, 0, 1, 1, 1], [1, 3, 3, 1]) as Tensor4D; // only small pixel (2, 2) differs
    const a = conditionMap(s6, model.params, small);
    const b = conditionMap(s6, model.params, other);
    expect(a.shape).toEqual([1, 6, 6, s6.conditionFeatures]);
    const diff = tf.tidy(() => tf.sum(tf.abs(tf.sub(a, b)), 3).dataSync());
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 6; j++) {
        const near = Math.floor(i / 2) >= 1 && Math.floor(j / 2) >= 1; // blocks within one small pixel of (2, 2)
        if (!near) expect(diff[i * 6 + j], `(${i}, ${j})`).toBe(0);
      }
    expect(diff[0 * 6 + 0]).toBe(0);
    expect(diff[2 * 6 + 2]).toBeGreaterThan(0); // block (1, 1) sees its lower-right neighbour
    tf.dispose([small, other, a, b]);
    disposeAll(model.params);
  });

  it("NLL of x = NLL of the small image + NLL of the other pixels given it, and sums to the likelihood's NLL", () => {
    const model = initModel(spec, 2, opts);
    const x = imageBatch(3, 1);
    const parts = multiscaleNll(spec, model.params, x, opts);
    const total = tf.tidy(() => nllOf(model, x));
    const small = tf.tidy(() => {
      const s = subsample(x, 2);
      return nllOf(smallModel(spec, model.params, opts), s);
    });
    const t = Array.from(total.dataSync());
    expect(Array.from(parts.total.dataSync()).map((v, i) => v - t[i]!).every((d) => Math.abs(d) < 1e-4)).toBe(true);
    const sm = Array.from(small.dataSync());
    expect(Array.from(parts.small.dataSync()).every((v, i) => Math.abs(v - sm[i]!) < 1e-4)).toBe(true);
    tf.dispose([x, total, small, parts.small, parts.conditional, parts.total]);
    disposeAll(model.params);
  });

  it('is a proper distribution: p(x) sums to 1 over all 2^8 binary 2×4 images', () => {
    const s24 = { ...spec, height: 2, width: 4 };
    const model = initModel(s24, 3, opts);
    let sum = 0;
    const chunk = 256;
    for (let start = 0; start < 1 << 8; start += chunk) {
      const x = tf.tensor4d(
        Float32Array.from({ length: chunk * 8 }, (_, k) => ((start + Math.floor(k / 8)) >> (k % 8)) & 1),
        [chunk, 2, 4, 1],
      ) as Tensor4D;
      const nll = tf.tidy(() => nllOf(model, x));
      for (const v of nll.dataSync()) sum += Math.exp(-v);
      tf.dispose([x, nll]);
    }
    expect(sum).toBeCloseTo(1, 3);
    disposeAll(model.params);
  });

  it('given a fixed small image, the large network is causal in raster order; the combined model is not', () => {
    const model = initModel(spec, 4, opts);
    const base = Float32Array.from(imageBatch(1, 2).dataSync());
    const small = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]) as Tensor4D;
    const cond = conditionalModel(spec, model.params, small, opts);
    for (let p = 0; p < 16; p++) expect(dependsOn(cond, base, p).every((q) => q < p), `position ${p}`).toBe(true);
    const sm = smallModel(spec, model.params, opts);
    const smallBase = Float32Array.from([base[0]!, base[2]!, base[8]!, base[10]!]);
    for (let p = 0; p < 4; p++) expect(dependsOn(sm, smallBase, p).every((q) => q < p)).toBe(true);
    // Negative control: pixel (0, 1) of the combined model depends on small position (2, 2), later in raster order.
    expect(dependsOn(model, base, 1)).toContain(10);
    small.dispose();
    disposeAll(model.params);
  });

  it('trains both networks in one step: the loss falls on a fixed batch, no tensors leak', () => {
    const wider: MultiscaleSpec = {
      ...spec,
      conditionFeatures: 4,
      small: { ...spec.small, hidden: 4, headHidden: 4 },
      large: { ...spec.large, hidden: 4, headHidden: 4 },
    };
    const model = initModel(wider, 5, opts);
    const x = imageBatch(4, 3);
    let state = initTrainState(model.spec, model.params, defaultOptimizer('rmsprop', 0.01));
    const losses: number[] = [];
    let count = 0;
    for (let step = 0; step < 8; step++) {
      const r = trainStep(state, x, opts);
      state = r.state;
      losses.push(r.metrics.loss);
      if (step === 1) count = tf.memory().numTensors;
      if (step > 1) expect(tf.memory().numTensors).toBe(count);
    }
    expect(losses[7]!).toBeLessThan(losses[0]! * 0.9);
    expect(Object.keys(state.params).sort()).toEqual(Object.keys(familyOf(wider).shapes(wider)).sort());
    disposeAll(state.params, state.slots);
    x.dispose();
  });
});

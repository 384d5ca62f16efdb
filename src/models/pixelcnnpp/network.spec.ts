// PixelCNN++'s network: the spec's shapes are init's, the forward pass leaks nothing, the gather
// path (wasm) equals the dense openai formulation (cpu) for the whole network in values and in the
// gradient of the NLL, presets decode, and the rules refuse what the network cannot model.
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { likelihoodFor } from '../../likelihoods/index.js';
import { decodeSpec, familyOf, presetOrThrow } from '../registry.js';
import { tf, type NamedTensors, type Tensor4D } from '../../tf.js';
import { pixelCnnPpFlops } from './index.js';
import { pixelCnnPpForward, pixelCnnPpLayout } from './network.js';
import type { PixelCnnPpSpec } from './spec.js';

const tiny = (o: Partial<PixelCnnPpSpec> = {}): PixelCnnPpSpec =>
  ({ ...(presetOrThrow('pixelcnn++', 'tiny')({ height: 8, width: 8, channels: 3, levels: 256 }) as PixelCnnPpSpec), ...o });

const images = (s: PixelCnnPpSpec, n: number, seed: number): Tensor4D =>
  tf.tidy(() => tf.floor(tf.randomUniform([n, s.height, s.width, s.channels], 0, s.levels - 1e-3, 'float32', seed)) as Tensor4D);

const onBackend = async <T>(name: string, f: () => T): Promise<T> => {
  const before = tf.getBackend();
  await tf.setBackend(name);
  try {
    return f();
  } finally {
    await tf.setBackend(before);
  }
};

/** NLL per image and its gradient with respect to every parameter, read back. */
const nllAndGrads = (s: PixelCnnPpSpec, values: Record<string, Float32Array>, xs: Float32Array, impl: 'gather' | 'dense', labels?: number[]) => {
  const family = familyOf(s);
  const shapes = family.shapes(s);
  const names = Object.keys(shapes).sort();
  const params: NamedTensors = Object.fromEntries(names.map((n) => [n, tf.tensor(values[n]!, shapes[n]!)]));
  const x = tf.tensor4d(xs, [xs.length / (s.height * s.width * s.channels), s.height, s.width, s.channels]);
  const lab = labels ? tf.tensor1d(labels, 'int32') : undefined;
  const likelihood = likelihoodFor(s.likelihood, s);
  const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
    const p = Object.fromEntries(names.map((n, i) => [n, ps[i]!]));
    return tf.mean(likelihood.nll(pixelCnnPpForward(s, p, x, { convImpl: impl }, lab), x));
  })(names.map((n) => params[n]!));
  const out = { nll: value.dataSync()[0]!, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]!.dataSync() as Float32Array])) };
  tf.dispose([value, ...grads, x, ...(lab ? [lab] : []), ...Object.values(params)]);
  return out;
};

describe('PixelCNN++ network', () => {
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('init makes exactly the shapes, the head has C·F features, and a forward pass leaks no tensor', () => {
    for (const s of [tiny(), tiny({ channels: 1, levels: 2, likelihood: { kind: 'bernoulli' }, height: 5, width: 3 }), tiny({ height: 1, width: 1 }), tiny({ classes: 3 })]) {
      const family = familyOf(s);
      const params = family.init(s, 3);
      const shapes = family.shapes(s);
      expect(Object.keys(params).sort()).toEqual(Object.keys(shapes).sort());
      for (const [k, v] of Object.entries(params)) expect(v.shape, k).toEqual(shapes[k]);
      const x = images(s, 2, 1);
      const labels = s.classes ? tf.tensor1d([0, 2], 'int32') : undefined;
      const before = tf.memory().numTensors;
      const head = family.forward(s, params, x, { convImpl: 'gather' }, labels);
      expect(head.shape).toEqual([2, s.height, s.width, s.channels === 3 ? 3 * 4 * 2 : 1]);
      expect(Array.from(head.dataSync()).every(Number.isFinite)).toBe(true);
      head.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, ...(labels ? [labels] : []), ...Object.values(params)]);
    }
  });

  it('three resolutions: 8×8 → 4×4 → 2×2, and odd sizes round up (5×3 → 3×2 → 2×1)', () => {
    expect(pixelCnnPpLayout(tiny()).sides).toEqual([[8, 8], [4, 4], [2, 2]]);
    expect(pixelCnnPpLayout(tiny({ height: 5, width: 3 })).sides).toEqual([[5, 3], [3, 2], [2, 1]]);
    const L = pixelCnnPpLayout(tiny({ nrResnet: 2 }));
    expect(L.up.map((st) => st.blocks.length)).toEqual([2, 2, 2]);
    expect(L.down.map((st) => [st.level, st.blocks.length])).toEqual([[2, 2], [1, 3], [0, 3]]);
  });

  it('the gather path (wasm kernels) equals the dense openai formulation (cpu autodiff): NLL and every parameter gradient to 1e-5', async () => {
    // 16 filters: the block convs (32 → 16, 32 → 32) take our kernels; 5×6 exercises odd crops
    for (const s of [tiny({ height: 5, width: 6 }), tiny({ channels: 1, levels: 2, likelihood: { kind: 'bernoulli' }, classes: 2 })]) {
      const init = familyOf(s).init(s, 9);
      const values = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v.dataSync() as Float32Array]));
      Object.values(init).forEach((t) => t.dispose());
      const x = images(s, 2, 4);
      const xs = x.dataSync() as Float32Array;
      x.dispose();
      const labels = s.classes ? [1, 0] : undefined;
      const gather = nllAndGrads(s, values, xs, 'gather', labels);
      const dense = await onBackend('cpu', () => nllAndGrads(s, values, xs, 'dense', labels));
      expect(Math.abs(gather.nll - dense.nll) / Math.max(1, Math.abs(dense.nll))).toBeLessThan(1e-5);
      let worst = 0;
      for (const k of Object.keys(dense.grads)) {
        const [a, b] = [gather.grads[k]!, dense.grads[k]!];
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
      }
      expect(worst).toBeLessThan(1e-5); // relative where |g| > 1, absolute below
    }
  });

  it('presets decode for CIFAR-10 and MNIST shapes; the paper preset is the paper’s', () => {
    for (const name of ['tiny', 'small', 'paper'])
      for (const shape of [{ height: 32, width: 32, channels: 3 as const, levels: 256 }, { height: 28, width: 28, channels: 1 as const, levels: 2 }]) {
        const r = decodeSpec(presetOrThrow('pixelcnn++', name)(shape));
        expect(E.isRight(r) ? null : r.left.message).toBeNull();
      }
    expect(presetOrThrow('pixelcnn++', 'paper')({ height: 32, width: 32, channels: 3, levels: 256 })).toMatchObject({
      nrResnet: 5, nrFilters: 160, dropout: 0.5, likelihood: { kind: 'logistic-mixture', components: 10 },
    });
    expect(pixelCnnPpFlops(tiny()).train).toBeGreaterThan(2 * pixelCnnPpFlops(tiny()).forward);
  });

  it('refuses 3 channels without the logistic mixture, and bad fields, naming them', () => {
    const bad = decodeSpec({ ...tiny(), likelihood: { kind: 'categorical' } });
    expect(E.isLeft(bad) && bad.left.message).toMatch(/likelihood.kind: expected 'logistic-mixture' for 3 channels/);
    const drop = decodeSpec({ ...tiny(), dropout: 1 });
    expect(E.isLeft(drop) && drop.left.message).toMatch(/dropout/);
    const typo = decodeSpec({ ...tiny(), nrResnets: 2 });
    expect(E.isLeft(typo) && typo.left.message).toMatch(/unknown key 'nrResnets'.*did you mean 'nrResnet'/);
  });
});

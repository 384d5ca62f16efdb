// The logistic mixture end to end, through the registry only: PixelCNN and Row LSTM models whose spec
// names it pass every law of the property library on enumerable shapes, a PixelCNN with it trains
// through the training stream, and each family's cached sampler equals the naive one with it. Negative controls: a twin whose draw skips the R→G→B
// coupling fails sampler agreement, and a twin whose head puts G's coupling coefficient in B's block
// (which sees G) fails causality.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { checkAll, checkSamplerAgreement, disposeModel, failures, fromIncremental, genericModel, streamSampler } from '../../props/index.js';
import { lastValueFrom, toArray } from 'rxjs';
import { epochs } from '../../streams/epochs.js';
import { train } from '../../streams/train.js';
import type { ImageSet } from '../data/records.js';
import { defaultOptimizer } from '../train/optimizers.js';
import { disposeAll, initTrainState } from '../train/step.js';
import { naiveSampler } from '../sampling/naive.js';
import type { AutoregressiveModel, BaseSpec, ImageShape } from '../model.js';
import { familyNames, initModel, presetFor } from '../models/registry.js';
import { cachedMatchesNaive } from '../sampling/equivalence.js';
import { tf, type Tensor4D } from '../tf.js';
import { slotsPerChannel } from './logisticMixture.js';

const mixtureSpec = (family: string, shape: ImageShape & { channels: 1 | 3 }, components: number): BaseSpec => {
  const preset = presetFor(family, 'tiny');
  if (E.isLeft(preset)) throw preset.left;
  return { ...preset.right(shape), likelihood: { kind: 'logistic-mixture', components } };
};

/** Feature indices of one pixel's head holding α, β, γ (C = 3, M components). */
const couplingSlots = (M: number): { alpha: number[]; beta: number[]; gamma: number[] } => {
  const F = 4 * M;
  const range = (from: number) => Array.from({ length: M }, (_, m) => from + m);
  return { alpha: range(F), beta: range(2 * F), gamma: range(2 * F + 3 * M) };
};

/**
 * The same model with its head scaled by 0.1 plus a constant: +1 on the coupling coefficients
 * (tanh 1 ≈ 0.76) and −1 on the log-scales. Still a valid model, with means near 0, sharp logistics
 * and strong coupling, so that skipping or misplacing the coupling shows in samples and gradients
 * (positive weights saturate tanh and the logistics, which would hide both).
 */
const stronglyCoupled = (m: AutoregressiveModel, M: number): AutoregressiveModel => {
  const F = slotsPerChannel(3) * M;
  const { alpha, beta, gamma } = couplingSlots(M);
  const bias = new Float32Array(3 * F);
  for (const f of [...alpha, ...beta, ...gamma]) bias[f] = 1;
  for (let c = 0; c < 3; c++) for (let k = 0; k < M; k++) bias[c * F + 2 * M + k] = -1;
  return { ...m, forward: (x) => tf.tidy(() => tf.add(tf.mul(m.forward(x), 0.1), tf.tensor1d(bias)) as Tensor4D) };
};

/** Its draw reads a copy of the head with α, β, γ zeroed: the coupling is skipped. */
const drawWithoutCoupling = (m: AutoregressiveModel, M: number): AutoregressiveModel => {
  const { alpha, beta, gamma } = couplingSlots(M);
  const P = 3 * slotsPerChannel(3) * M;
  const draw = m.likelihood.draw;
  return {
    ...m,
    likelihood: {
      ...m.likelihood,
      draw: (head, offset, c, pixel, at, t, rng) => {
        const copy = Float32Array.from({ length: P }, (_, f) => head[offset + f]!);
        for (const f of [...alpha, ...beta, ...gamma]) copy[f] = 0;
        return draw(copy, 0, c, pixel, at, t, rng);
      },
    },
  };
};

/** Its head swaps G's α (block 1) and B's β (block 2): G's mean now reads a block that sees G. */
const alphaFromBlueBlock = (m: AutoregressiveModel, M: number): AutoregressiveModel => {
  const P = 3 * slotsPerChannel(3) * M;
  const { alpha, beta } = couplingSlots(M);
  const perm = Array.from({ length: P }, (_, f) => f);
  alpha.forEach((f, i) => {
    perm[f] = beta[i]!;
    perm[beta[i]!] = f;
  });
  const matrix = new Float32Array(P * P); // a permutation matrix (gather has no gradient kernel on wasm)
  perm.forEach((from, to) => (matrix[from * P + to] = 1));
  return {
    ...m,
    forward: (x) =>
      tf.tidy(() => {
        const head = m.forward(x); //                                                  [B, H, W, P]
        const [b, h, w] = head.shape;
        return tf.reshape(tf.matMul(tf.reshape(head, [b * h * w, P]), tf.tensor2d(matrix, [P, P])), [b, h, w, P]) as Tensor4D;
      }),
  };
};

const families = ['pixelcnn', 'row-lstm'];
const shapes = [
  { height: 2, width: 2, channels: 1 as const, levels: 4 }, //  4⁴ = 256 images
  { height: 1, width: 2, channels: 3 as const, levels: 2 }, //  2⁶ = 64 images
];

describe('logistic mixture, end to end', () => {
  it('the families under test are registered', () => {
    for (const f of families) expect(familyNames()).toContain(f);
  });

  for (const family of families)
    for (const shape of shapes)
      it(`${family} with a 2-component mixture passes every law at ${shape.height}×${shape.width}×${shape.channels}, K = ${shape.levels}`, async () => {
        const before = tf.memory().numTensors;
        const model = genericModel(mixtureSpec(family, shape, 2), 1, { weights: 'positive' }); // gradients into x; no ReLU always off
        // sampler agreement and determinism through the project's sampling stream with the cached
        // sampler: its draws are the likelihood's own `draw` (the props' reference sampler uses logProbs)
        const report = await checkAll(model, { sampler: streamSampler({ cached: true }) });
        expect(Object.keys(report).sort()).toEqual(['causality', 'channel-order', 'determinism', 'full-past', 'normalisation', 'sampler-agreement']);
        expect(failures(report)).toEqual([]);
        if (shape.channels === 3) {
          // signed weights, sharp and strongly coupled: the controls below must show
          const signed = genericModel(mixtureSpec(family, shape, 2), 2);
          const coupled = stronglyCoupled(signed, 2);
          const naive = fromIncremental(naiveSampler); // reruns model.forward, draws with model.likelihood.draw
          expect(failures(await checkAll(coupled, { seed: 1, sampler: naive })).filter((f) => !f.startsWith('full-past:'))).toEqual([]);
          const skipped = await checkSamplerAgreement(drawWithoutCoupling(coupled, 2), { seed: 1, sampler: naive });
          expect(E.isLeft(skipped)).toBe(true);
          const misplaced = failures(await checkAll(alphaFromBlueBlock(coupled, 2)));
          expect(misplaced.some((f) => f.startsWith('causality:')), misplaced.join('\n')).toBe(true);
          disposeModel(signed);
        }
        disposeModel(model);
        expect(tf.memory().numTensors).toBe(before);
      });

  it('a PixelCNN with a mixture trains on the wasm backend: the loss falls well below the uniform one', async () => {
    const shape = { height: 4, width: 4, channels: 3 as const, levels: 16 };
    const spec = mixtureSpec('pixelcnn', shape, 2);
    // smooth ramps whose G and B follow R: what a coupled mixture of few components models well
    const set: ImageSet = {
      name: 'ramps',
      shape,
      records: Array.from({ length: 32 }, (_, n) => ({
        index: n,
        pixels: Uint8Array.from({ length: 48 }, (_, q) => {
          const p = Math.floor(q / 3);
          const r = Math.min(15, (p % 4) * 3 + (n % 4));
          return [r, Math.max(0, r - 2), Math.min(15, r + 1)][q % 3]!;
        }),
      })),
    };
    const before = tf.memory().numTensors;
    const initial = initTrainState(spec, initModel(spec, 1).params, defaultOptimizer('adam', 0.02));
    const events = await lastValueFrom(epochs(set, { batchSize: 16, seed: 1, maxSteps: 80 }).pipe(train(initial), toArray()));
    const [first, last] = [events[0]!.metrics.loss, events.at(-1)!.metrics.loss];
    const uniform = 48 * Math.log(16);
    expect(first).toBeGreaterThan(0.5 * uniform);
    expect(last).toBeLessThan(0.5 * uniform);
    expect(last).toBeLessThan(0.6 * first);
    const state = events.at(-1)!.state;
    disposeAll(state.params, state.slots);
    expect(tf.memory().numTensors).toBe(before);
  });

  const samplerCases: [string, ImageShape & { channels: 1 | 3 }, number][] = [
    ['pixelcnn', { height: 4, width: 5, channels: 3, levels: 256 }, 3],
    ['pixelcnn', { height: 3, width: 4, channels: 1, levels: 16 }, 2],
    ['row-lstm', { height: 3, width: 4, channels: 3, levels: 256 }, 2],
    ['diagonal-bilstm', { height: 3, width: 3, channels: 3, levels: 256 }, 2],
    ['multiscale', { height: 4, width: 4, channels: 3, levels: 256 }, 2],
  ];
  for (const [family, shape, M] of samplerCases)
    it(`${family}: the cached sampler equals the naive one with a ${M}-component mixture (${shape.height}×${shape.width}×${shape.channels}, K = ${shape.levels})`, () => {
      const model = initModel(mixtureSpec(family, shape, M), 2);
      for (const temperature of [1, 0.7]) {
        const r = cachedMatchesNaive(model, { batch: 2, seed: 3, temperature });
        expect(r.failure).toBeNull();
        expect(r.ok && r.imagesEqual).toBe(true);
        expect(r.steps).toBe(shape.height * shape.width * shape.channels);
      }
      disposeModel(model);
    });
});

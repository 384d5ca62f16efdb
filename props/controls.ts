// Negative controls: deliberately broken models (and samplers) that the laws must catch. A law that
// no broken model can fail proves nothing; props/controls.spec.ts asserts that every control is
// caught by every law listed in its `caughtBy`.
//
// Two kinds of construction:
//  - wrappers around a real model of the registry (swap R/B, peek ahead, unnormalised head);
//  - `maskedStack`: a PixelCNN written again here over explicit tap lists, so a mask can be broken
//    (mask B in the first layer, the left tap hidden). Unbroken (`variant: 'faithful'`) it passes
//    every law — that is checked too, so a control fails for its break and not for this code.

import { maskTable, type Tap } from '../src/masks.js';
import { likelihoodFor } from '../src/likelihoods/index.js';
import type { AutoregressiveModel } from '../src/model.js';
import type { PixelCnnSpec } from '../src/models/pixelcnn/spec.js';
import { Rng } from '../src/rng.js';
import { tf, type NamedTensors, type Tensor1D, type Tensor2D, type Tensor4D, type Tensor5D } from '../src/tf.js';
import type { CheckableModel } from './check.js';
import { genericModel, type WeightKind } from './models.js';
import type { Sampler } from './sampler.js';
import { referenceSampler } from './sampler.js';
import type { LawName, ModelLawName } from './types.js';

// ---------------------------------------------------------------- a PixelCNN over explicit taps

interface StackLayer {
  readonly name: string;
  readonly kh: number;
  readonly kw: number;
  readonly type: 'A' | 'B';
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Off-centre taps removed from the mask (a too-strict mask). */
  readonly hidden: readonly Tap[];
}

interface StackLayout {
  readonly taps: readonly Tap[]; // visible off-centre taps, then the centre (always present here)
  readonly centreMask: Float32Array; // [rows, out]: 1 except at centre rows the mask forbids
}

const layoutOf = (l: StackLayer, channels: number): StackLayout => {
  const table = maskTable(l.kh, l.kw, l.type, l.inFeatures, l.outFeatures, channels);
  const past = table.pastTaps.filter((t) => !l.hidden.some((h) => h.dy === t.dy && h.dx === t.dx));
  const taps = [...past, { dy: 0, dx: 0 }];
  const rows = taps.length * l.inFeatures;
  const centreMask = new Float32Array(rows * l.outFeatures).fill(1);
  const base = past.length * l.inFeatures;
  for (let i = 0; i < l.inFeatures; i++)
    for (let o = 0; o < l.outFeatures; o++) centreMask[(base + i) * l.outFeatures + o] = table.centre[i]![o]!;
  return { taps, centreMask };
};

/** Pad above and at the sides, slice every visible tap, concat, one matMul. */
const tapConv = (l: StackLayer, layout: StackLayout, params: NamedTensors, x: Tensor4D): Tensor4D => {
  const [b, h, w, cin] = x.shape;
  const cy = Math.floor(l.kh / 2);
  const cx = Math.floor(l.kw / 2);
  const rows = layout.taps.length * cin;
  const padded = tf.pad(x, [[0, 0], [cy, 0], [cx, l.kw - 1 - cx], [0, 0]]); //  [B, H+cy, W+kw-1, in]
  const columns = tf.concat(
    layout.taps.map(({ dy, dx }) => tf.slice(padded, [0, cy + dy, cx + dx, 0], [b, h, w, cin])),
    3,
  ); //                                                                            [B, H, W, rows]
  const weights = tf.mul(params[`${l.name}.w`]!, tf.tensor2d(layout.centreMask, [rows, l.outFeatures])); // [rows, out]
  const out = tf.add(tf.matMul(tf.reshape(columns, [b * h * w, rows]) as Tensor2D, weights as Tensor2D), params[`${l.name}.b`]!);
  return tf.reshape(out, [b, h, w, l.outFeatures]); //                            [B, H, W, out]
};

/** How the stack is broken. */
export type StackVariant = 'faithful' | 'mask-b-first' | 'hide-left';

const stackLayers = (s: PixelCnnSpec, variant: StackVariant): StackLayer[] => {
  const out = s.channels * likelihoodFor(s.likelihood, s).featuresPerChannel;
  return [
    {
      name: 'input',
      kh: s.firstKernel,
      kw: s.firstKernel,
      type: variant === 'mask-b-first' ? 'B' : 'A',
      inFeatures: s.channels,
      outFeatures: s.hidden,
      hidden: variant === 'hide-left' ? [{ dy: 0, dx: -1 }] : [],
    },
    ...Array.from({ length: s.residualLayers }, (_, k) => ({
      name: `res${k}`, kh: s.kernel, kw: s.kernel, type: 'B' as const, inFeatures: s.hidden, outFeatures: s.hidden, hidden: [],
    })),
    { name: 'head0', kh: 1, kw: 1, type: 'B', inFeatures: s.hidden, outFeatures: s.headHidden, hidden: [] },
    { name: 'head1', kh: 1, kw: 1, type: 'B', inFeatures: s.headHidden, outFeatures: out, hidden: [] },
  ];
};

/** A PixelCNN (same architecture as src/models/pixelcnn/network.ts) over explicit tap lists, possibly broken. */
export const maskedStack = (s: PixelCnnSpec, variant: StackVariant, seed: number, weights: WeightKind = 'signed'): AutoregressiveModel<PixelCnnSpec> => {
  const layers = stackLayers(s, variant);
  const layouts = layers.map((l) => layoutOf(l, s.channels));
  const rng = Rng.fromSeed(seed, 3);
  const params: NamedTensors = {};
  layers.forEach((l, k) => {
    const rows = layouts[k]!.taps.length * l.inFeatures;
    const std = (l.name.startsWith('res') ? 0.5 : 1) * Math.sqrt(2 / rows);
    const w = Float32Array.from({ length: rows * l.outFeatures }, () => rng.normal() * std);
    if (weights === 'positive') for (let i = 0; i < w.length; i++) w[i] = Math.abs(w[i]!);
    const b = Float32Array.from({ length: l.outFeatures }, () => (weights === 'positive' ? 0.1 + rng.uniform() : 0));
    params[`${l.name}.w`] = tf.tensor2d(w, [rows, l.outFeatures]);
    params[`${l.name}.b`] = tf.tensor1d(b);
  });
  const [input, ...rest] = layers.map((l, k) => ({ l, layout: layouts[k]! }));
  const residual = rest.slice(0, s.residualLayers);
  const [head0, head1] = rest.slice(s.residualLayers);
  const conv = (c: { l: StackLayer; layout: StackLayout }, x: Tensor4D) => tapConv(c.l, c.layout, params, x);
  return {
    spec: s,
    params,
    likelihood: likelihoodFor(s.likelihood, s),
    forward: (x: Tensor4D): Tensor4D =>
      tf.tidy(() => {
        const unit = tf.sub(tf.mul(x, 2 / (s.levels - 1)), 1) as Tensor4D; //     [B, H, W, C]
        let f = conv(input!, unit); //                                              [B, H, W, h]
        for (const r of residual) f = tf.add(f, conv(r, tf.relu(f))); //          [B, H, W, h]
        const hid = conv(head0!, tf.relu(f)); //                                    [B, H, W, h']
        return conv(head1!, tf.relu(hid)); //                                       [B, H, W, C·F]
      }),
  };
};

// ---------------------------------------------------------------- wrappers around a real model

/** R and B head blocks swapped: R is predicted by the group that sees R and G of its own pixel. */
export const swapRedBlue = (m: AutoregressiveModel): AutoregressiveModel => ({
  ...m,
  forward: (x) =>
    tf.tidy(() => {
      const head = m.forward(x); //                                                 [B, H, W, 3·F]
      const [b, h, w, p] = head.shape;
      const flat = tf.reshape(head, [b * h * w, 3, p / 3]); //                       [B·H·W, 3, F]
      // reverse on the channel axis swaps R and B (rank 3: 5-D concat/split are very slow on wasm)
      return tf.reshape(tf.reverse(flat, 1), [b, h, w, p]) as Tensor4D; //          [B, H, W, 3·F]
    }),
});

/** Peeks one pixel ahead: the net sees the input shifted left by one column (x'[i, j] = x[i, j+1]). */
export const peekAhead = (m: AutoregressiveModel): AutoregressiveModel => ({
  ...m,
  forward: (x) =>
    tf.tidy(() => {
      const [b, h, w, c] = x.shape;
      const shifted = tf.concat([tf.slice(x, [0, 0, 1, 0], [b, h, w - 1, c]), tf.zeros([b, h, 1, c])], 2) as Tensor4D; // [B, H, W, C]
      return m.forward(shifted); //                                                  [B, H, W, C·F]
    }),
});

/**
 * An unnormalised likelihood: log p(x) = Σ (log p of the value − max over the levels of log p), a
 * "stable softmax" that forgot the log Σ exp (for a softmax: logit of the value − max logit). Every
 * factor is ≤ 1 but they sum to more than 1 over the levels. Any likelihood kind (its own logProbs).
 */
export const unnormalisedHead = (m: AutoregressiveModel): CheckableModel => ({
  ...m,
  logProb: (x) =>
    tf.tidy(() => {
      const l = m.likelihood.logProbs(m.forward(x), x); //                            [B, H, W, C, K]
      const picked = tf.sum(tf.mul(l, tf.oneHot(tf.cast(x, 'int32'), m.spec.levels)), 4); // [B, H, W, C]
      return tf.sum(tf.sub(picked, tf.max(l, 4)), [1, 2, 3]) as Tensor1D; //        [B]
    }),
});

// ---------------------------------------------------------------- the control table

export interface Control {
  readonly name: string;
  readonly description: string;
  /** Specs where the break is real (e.g. peeking right needs W ≥ 2). */
  readonly applies: (s: PixelCnnSpec) => boolean;
  readonly build: (s: PixelCnnSpec, seed: number, weights: WeightKind) => CheckableModel;
  /** Laws that must catch it. */
  readonly caughtBy: readonly ModelLawName[];
  /** Laws that must NOT flag it (it breaks something else only). */
  readonly passes: readonly ModelLawName[];
}

export const controls: readonly Control[] = [
  {
    name: 'mask-b-first',
    description: 'first layer uses mask B instead of mask A: channel c sees itself',
    applies: () => true,
    build: (s, seed, w) => maskedStack(s, 'mask-b-first', seed, w),
    caughtBy: ['causality', 'channel-order', 'full-past'],
    passes: [],
  },
  {
    name: 'swap-rb',
    description: 'R and B channel groups swapped at the output',
    applies: (s) => s.channels === 3,
    build: (s, seed, w) => swapRedBlue(genericModel(s, seed, { weights: w })),
    caughtBy: ['causality', 'channel-order', 'full-past'],
    passes: [],
  },
  {
    name: 'peek-ahead',
    description: 'input shifted left by one column before the net: (i, j) sees (i, j+1)',
    // A 1×1 mask-A first layer over one channel sees no input at all: the net is constant, nothing leaks.
    applies: (s) => s.width >= 2 && (s.firstKernel >= 3 || s.channels === 3),
    build: (s, seed, w) => peekAhead(genericModel(s, seed, { weights: w })),
    caughtBy: ['causality', 'channel-order', 'full-past'],
    passes: [],
  },
  {
    name: 'hide-left',
    description: 'first layer mask hides the pixel to the left (too strict)',
    applies: (s) => s.width >= 2 && s.firstKernel >= 3,
    build: (s, seed, w) => maskedStack(s, 'hide-left', seed, w),
    caughtBy: ['full-past'],
    passes: ['causality', 'channel-order', 'normalisation'],
  },
  {
    name: 'unnormalised-head',
    description: 'log p(x) forgets the softmax normaliser (subtracts the max logit only)',
    applies: () => true,
    build: (s, seed, w) => unnormalisedHead(genericModel(s, seed, { weights: w })),
    caughtBy: ['normalisation', 'sampler-agreement'],
    passes: ['causality', 'channel-order', 'full-past'],
  },
];

/** The unbroken twin of the mask controls: must pass every law. */
export const faithfulStack = (s: PixelCnnSpec, seed: number, w: WeightKind): CheckableModel => maskedStack(s, 'faithful', seed, w);

// ---------------------------------------------------------------- broken samplers

/** Ignores the seed (Math.random): breaks determinism. */
export const unseededSampler: Sampler = (model, count) => referenceSampler(model, count, Math.floor(Math.random() * 2 ** 31));

/** Draws at temperature t ≠ 1 (the head's logits divided by t): breaks sampler–likelihood agreement. */
export const temperatureSampler =
  (t: number): Sampler =>
  (model, count, seed) =>
    referenceSampler({ ...model, forward: (x) => tf.tidy(() => tf.div(model.forward(x), t) as Tensor4D) }, count, seed);

export interface SamplerControl {
  readonly name: string;
  readonly sampler: Sampler;
  readonly caughtBy: readonly LawName[];
}

export const samplerControls: readonly SamplerControl[] = [
  { name: 'unseeded-sampler', sampler: unseededSampler, caughtBy: ['determinism'] },
  { name: 'hot-sampler', sampler: temperatureSampler(3), caughtBy: ['sampler-agreement'] },
];

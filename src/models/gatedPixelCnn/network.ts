// Gated PixelCNN (van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves, Kavukcuoglu 2016,
// "Conditional Image Generation with PixelCNN Decoders", §2.1–2.2 and Figure 2), read top to bottom.
// One gated layer, l = 0 .. L−1 (p = hidden):
//
//   vertical stack   v ─ (⌊k/2⌋+1)×k conv ─ a_v [2p] ─ tanh ⊙ σ ─ v' [p]       (no residual)
//                                                                 │
//                                       1×1 (the vertical-to-horizontal link)
//                                                                 ↓
//   horizontal stack h ─ 1×(⌊k/2⌋+1) conv ───────────────────────(+) ─ a_h [2p] ─ tanh ⊙ σ ─ 1×1 ─ (+) ─ h'
//                    └───────────────────────────── residual ───────────────────┘
//   skip:            Σ over layers of every h' ─ ReLU ─ 1×1 ─ ReLU ─ 1×1 ─ head [C·F]
//
// "No pixel sees itself or the future" (the choice the paper leaves open, and ours):
//   v at row i always summarises image rows < i only. The first vertical layer reads the ⌊k/2⌋ rows
//   ABOVE the pixel, k wide, and nothing of row i (taps i−⌊k/2⌋..i−1); every later vertical layer
//   reads the (⌊k/2⌋+1)×k rectangle of the previous v that ends at its own row — which, by the
//   induction, is itself made of rows < i. So the link adds v' at the SAME position to a_h, with
//   no shift: the paper's "shift down one row before feeding the horizontal stack" happens once, at
//   the input, as openai/pixel-cnn's down_shift does. (The paper's form reaches one row further
//   up in all; both have no blind spot, field.ts.) The vertical stack needs no channel masks at all.
//   The horizontal stack reads row i left of the pixel and the pixel itself: taps left of and at the
//   centre, mask A in the first layer (channel c at the centre sees channels < c of the image) and
//   mask B after (features of group c see groups ≤ c), channel groups R → G → B as in PixelCNN.
//   Every 1×1 of the horizontal stack and head is mask B with the same groups; the link is a full
//   1×1 (all of v is above the pixel).
// The link reads the vertical stack's gated output v' [p] (as anantzoid's Conditional-PixelCNN-decoder
// does, and openai/pixel-cnn's gated_resnet from its vertical stream's output), where the paper's
// Figure 2 draws it from the 2p pre-activation a_v: v' is bounded (|v'| < 1), a_v is not, and a sum of unbounded terms into a_h
// saturates the horizontal gates (tanh and σ at 1 in float32: zero gradients) in deep or wide stacks.
//
// Tap rectangles and kernels: every k×k / 1×k convolution here is one causalConv2d (our wasm
// kernels, src/kernels/causalConv.ts; conv2d over the rectangle elsewhere) over compact weights:
// the first vertical layer is the first ⌊k/2⌋·k taps of the (⌊k/2⌋+1)×k rectangle (the rows above),
// later vertical layers the whole rectangle, the horizontal layers the first ⌊k/2⌋(+1) taps of a 1×k
// rectangle. All are tap-prefixes the kernels take, so masked-out weights do not exist; the centre
// channel mask of the horizontal conv is applied to its compact weights as maskedConv.ts does.
// tanh(W_f ∗ x) and σ(W_g ∗ x) are one convolution with 2p outputs [f | g], split after it, so that
// one kernel call computes both; in the horizontal stack f and g each carry the C channel groups of p.
// Class-conditional (spec.classes): the paper's V·h term, h the one-hot label — a learned vector per
// class added to the 2p pre-activations of both stacks in every gated layer (tables v{l}.class and
// h{l}.class, [classes, 2p]).

import { causalConv2d, convLayout, initMaskedConv, maskedConv, maskedConvShapes, squareConv, type MaskedConvSpec } from '../../layers/maskedConv.js';
import { classBiasName, classesOf, initClassBias, labelBias } from '../../conditioning.js';
import { likelihoodFor } from '../../likelihoods/index.js';
import type { ForwardOptions, Labels } from '../../model.js';
import { Rng } from '../../rng.js';
import { tf, type NamedTensors, type Tensor1D, type Tensor2D, type Tensor4D } from '../../tf.js';
import type { GatedPixelCnnSpec } from './spec.js';

/** A vertical-stack convolution: output (y, x) reads rows y−cy.., columns x−cx..x+kw−1−cx, the first `taps` taps. */
export interface VerticalConvSpec {
  readonly name: string;
  readonly cy: number; // rows above the output row in the rectangle
  readonly cx: number;
  readonly kw: number;
  /** cy·kw (rows above only: the first layer) or (cy+1)·kw (the whole rectangle, own row of v included). */
  readonly taps: number;
  readonly inFeatures: number;
  readonly outFeatures: number; // 2p: [f | g]
}

/** One gated layer: its two stacks, the link and the horizontal stack's 1×1 output. */
export interface GatedLayer {
  readonly index: number;
  readonly first: boolean;
  readonly vertical: VerticalConvSpec;
  /** The horizontal 1×k mask A/B conv as a mask spec with p outputs; its weights hold 2p columns [f | g], both masked alike. */
  readonly horizontal: MaskedConvSpec;
  /** 1×1, p → 2p, one group (everything in v is above the pixel). */
  readonly link: MaskedConvSpec;
  /** 1×1 mask B, p → p, before the residual sum. */
  readonly out: MaskedConvSpec;
}

export interface GatedLayout {
  readonly layers: readonly GatedLayer[];
  readonly head0: MaskedConvSpec;
  readonly head1: MaskedConvSpec;
}

/** Head features per pixel: C·F for the spec's likelihood. */
export const headFeatures = (s: GatedPixelCnnSpec): number => s.channels * likelihoodFor(s.likelihood, s).featuresPerChannel;

/** Every convolution of the network, layer by layer (the cached sampler reads its plan from here). */
export const gatedLayout = (s: GatedPixelCnnSpec): GatedLayout => {
  const p = s.hidden;
  const grouped = squareConv(s.channels);
  const layers = Array.from({ length: s.layers }, (_, l): GatedLayer => {
    const first = l === 0;
    const k = first ? s.firstKernel : s.kernel;
    const cy = Math.floor(k / 2);
    const cx = Math.floor(k / 2);
    const inF = first ? s.channels : p;
    return {
      index: l,
      first,
      vertical: { name: `v${l}`, cy, cx, kw: k, taps: first ? cy * k : (cy + 1) * k, inFeatures: inF, outFeatures: 2 * p },
      horizontal: { name: `h${l}`, kh: 1, kw: k, type: first ? 'A' : 'B', inFeatures: inF, outFeatures: p, channels: s.channels },
      link: squareConv(1)(`link${l}`, 1, 'B', p, 2 * p),
      out: grouped(`out${l}`, 1, 'B', p, p),
    };
  });
  return {
    layers,
    head0: grouped('head0', 1, 'B', p, s.headHidden),
    head1: grouped('head1', 1, 'B', s.headHidden, headFeatures(s)),
  };
};

/** Weight rows of the horizontal conv (its compact taps × inputs). */
export const horizontalRows = (h: MaskedConvSpec): number => convLayout(h).rows;

/** The horizontal conv's centre mask for 2p columns [f | g] ([rows, 2p]), or null when nothing is masked. */
const horizontalMasks = new Map<string, Float32Array | null>();
export const horizontalMask = (h: MaskedConvSpec): Float32Array | null => {
  const key = `${h.kw}${h.type}:${h.inFeatures}>${h.outFeatures}/${h.channels}`;
  if (horizontalMasks.has(key)) return horizontalMasks.get(key)!;
  const { weightMask, rows } = convLayout(h);
  const p = h.outFeatures;
  let mask: Float32Array | null = null;
  if (weightMask) {
    mask = new Float32Array(rows * 2 * p);
    for (let r = 0; r < rows; r++)
      for (let o = 0; o < p; o++) mask[r * 2 * p + o] = mask[r * 2 * p + p + o] = weightMask[r * p + o]!;
  }
  horizontalMasks.set(key, mask);
  return mask;
};

/** The class-bias tables of a conditional spec: one per gated conv (both stacks), [classes, 2p]. */
const classTables = (s: GatedPixelCnnSpec, L: GatedLayout): string[] =>
  classesOf(s) > 0 ? L.layers.flatMap((l) => [classBiasName(l.vertical.name), classBiasName(l.horizontal.name)]) : [];

export const gatedPixelCnnShapes = (s: GatedPixelCnnSpec): Record<string, number[]> => {
  const L = gatedLayout(s);
  return Object.assign(
    {},
    ...classTables(s, L).map((name) => ({ [name]: [classesOf(s), 2 * s.hidden] })),
    ...L.layers.flatMap((l) => [
      { [`${l.vertical.name}.w`]: [l.vertical.taps * l.vertical.inFeatures, l.vertical.outFeatures], [`${l.vertical.name}.b`]: [l.vertical.outFeatures] },
      { [`${l.horizontal.name}.w`]: [horizontalRows(l.horizontal), 2 * s.hidden], [`${l.horizontal.name}.b`]: [2 * s.hidden] },
      maskedConvShapes(l.link),
      maskedConvShapes(l.out),
    ]),
    maskedConvShapes(L.head0),
    maskedConvShapes(L.head1),
  );
};

/**
 * Normal weights of std scale·√(1/rows) — the fan-in scale for tanh and σ gates (He's √2 is for
 * ReLU) — and zero bias.
 */
const initGated = (name: string, rows: number, out: number, rng: Rng, scale = 1): NamedTensors => {
  const std = scale * Math.sqrt(1 / Math.max(1, rows));
  const w = Float32Array.from({ length: rows * out }, () => rng.normal() * std);
  return { [`${name}.w`]: tf.tensor2d(w, [rows, out]), [`${name}.b`]: tf.zeros([out]) };
};

export const initGatedPixelCnn = (s: GatedPixelCnnSpec, seed: number): NamedTensors => {
  const rng = Rng.fromSeed(seed, 1);
  const classRng = Rng.fromSeed(seed, 5);
  const L = gatedLayout(s);
  return Object.assign(
    {},
    ...classTables(s, L).map((name) => ({ [name]: initClassBias(classesOf(s), 2 * s.hidden, classRng) })),
    ...L.layers.flatMap((l) => [
      initGated(l.vertical.name, l.vertical.taps * l.vertical.inFeatures, l.vertical.outFeatures, rng),
      // a_h is the sum of two terms, the horizontal conv and the link: each starts at half the variance
      // (std √(1/2·rows)), so that the gates start in their working range rather than saturated.
      initGated(l.horizontal.name, horizontalRows(l.horizontal), 2 * s.hidden, rng, Math.SQRT1_2),
      initMaskedConv(l.link, rng, 0.5), //                             std √(1/2p)
      initMaskedConv(l.out, rng, l.first ? 1 : 0.5), //                residual branches start small
    ]),
    initMaskedConv(L.head0, rng),
    // The skip connections sum L maps: the logits layer starts at 1/L of its usual scale.
    initMaskedConv(L.head1, rng, 1 / s.layers),
  ) as NamedTensors;
};

const gateScales = new Map<number, Float32Array>();
/** [2, …, 2 | 1, …, 1]: the f half doubled. */
const gateScale = (p: number): Float32Array => {
  const hit = gateScales.get(p);
  if (hit) return hit;
  const v = Float32Array.from({ length: 2 * p }, (_, o) => (o < p ? 2 : 1));
  gateScales.set(p, v);
  return v;
};

/**
 * tanh(a_f) ⊙ σ(a_g) of a = [f | g], with tanh(f) = 2σ(2f) − 1: one σ over all 2p features (tfjs-wasm's
 * tanh costs about three of its σ). [B, H, W, 2p] → [B, H, W, p]
 */
export const gate = (a: Tensor4D): Tensor4D => {
  const p = a.shape[3] / 2;
  const s = tf.sigmoid(tf.mul(a, tf.tensor1d(gateScale(p)))); //             [B, H, W, 2p]  σ(2f) | σ(g)
  const [sf, sg] = tf.split(s, 2, 3) as [Tensor4D, Tensor4D]; //             [B, H, W, p] each
  return tf.mul(tf.sub(tf.mul(sf, 2), 1), sg) as Tensor4D; //                 [B, H, W, p]   tanh(f) ⊙ σ(g)
};

/** Levels 0..K−1 to [−1, 1]. [B, H, W, C] */
const toUnit = (x: Tensor4D, levels: number): Tensor4D => tf.sub(tf.mul(x, 2 / (levels - 1)), 1) as Tensor4D;

const verticalConv = (l: VerticalConvSpec, params: NamedTensors, x: Tensor4D, inputGradient: boolean): Tensor4D =>
  causalConv2d(l.cy, l.cx, l.kw, inputGradient)(x, params[`${l.name}.w`] as Tensor2D, params[`${l.name}.b`] as Tensor1D);

const horizontalConv = (l: MaskedConvSpec, params: NamedTensors, x: Tensor4D, inputGradient: boolean): Tensor4D => {
  const w = params[`${l.name}.w`] as Tensor2D;
  const mask = horizontalMask(l);
  const masked = mask ? (tf.mul(w, tf.tensor2d(mask, w.shape)) as Tensor2D) : w; // [rows, 2p], centre groups applied
  return causalConv2d(0, Math.floor(l.kw / 2), l.kw, inputGradient)(x, masked, params[`${l.name}.b`] as Tensor1D);
};

/** The forward pass over a layout (the spec's own: gatedPixelCnnForward; a test may pass a broken one). */
export const gatedForwardWith =
  (L: GatedLayout) =>
  (s: GatedPixelCnnSpec, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor4D =>
  tf.tidy(() => {
    const conv = maskedConv(options.convImpl);
    /** a + V·y: the label's vector added to a gated conv's 2p pre-activations, when conditional. */
    const byLabel = (name: string, a: Tensor4D): Tensor4D =>
      labels ? (tf.add(a, tf.reshape(labelBias(params, classBiasName(name), labels), [a.shape[0], 1, 1, a.shape[3]])) as Tensor4D) : a;
    const dataGradient = options.inputGradient ?? false;

    const unit = toUnit(x, s.levels); //                                                 [B, H, W, C]   in [−1, 1]
    let v = unit; //                                                                     vertical stack input
    let h = unit; //                                                                     horizontal stack input
    let skip: Tensor4D | null = null;
    for (const layer of L.layers) {
      const readsData = layer.first ? dataGradient : true;
      const av = byLabel(layer.vertical.name, verticalConv(layer.vertical, params, v, readsData)); // [B, H, W, 2p]  rows above (+ V·y)
      v = gate(av); //                                                                   [B, H, W, p]   tanh ⊙ σ
      const link = conv(layer.link, params, v); //                                       [B, H, W, 2p]  1×1 link
      const ah = byLabel(layer.horizontal.name, tf.add(horizontalConv(layer.horizontal, params, h, readsData), link) as Tensor4D); // [B, H, W, 2p]  1×k, mask A/B (+ V·y)
      const y = conv(layer.out, params, gate(ah)); //                                    [B, H, W, p]   tanh ⊙ σ, 1×1 mask B
      h = layer.first ? y : (tf.add(h, y) as Tensor4D); //                               [B, H, W, p]   residual
      skip = skip ? (tf.add(skip, h) as Tensor4D) : h; //                                [B, H, W, p]   skip
    }
    const hidden = conv(L.head0, params, tf.relu(skip!)); //                             [B, H, W, h']  1×1 mask B
    return conv(L.head1, params, tf.relu(hidden)); //                                    [B, H, W, C·F] 1×1 mask B
  });

export const gatedPixelCnnForward = (s: GatedPixelCnnSpec, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor4D =>
  gatedForwardWith(gatedLayout(s))(s, params, x, options, labels);

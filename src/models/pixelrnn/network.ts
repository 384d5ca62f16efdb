// PixelRNN (van den Oord et al. 2016, §3 and Table 2), read top to bottom — shared by the Row LSTM
// and Diagonal BiLSTM families and by both networks of the Multi-Scale PixelRNN:
//
//   x ─ 7×7 conv, mask A (C → 2h) ─┬─ [recurrent layer (2h → h) ─ 1×1 mask B (h → 2h) ─ (+)] × L ─┐
//                                  └──────────────── residual (switchable) ───────────┘            │
//   skip (switchable): Σ over layers of every layer's output map ─────────────────────────────────┤
//                                             ReLU ─ 1×1 mask B ─ ReLU ─ 1×1 mask B ─ head ────────┘
//
// Without skip connections the head reads the last layer's output only. Every map is split into C
// channel groups; the recurrent layers keep the grouping per gate (see layers/lstm.ts). An optional
// conditioning map [B, H, W, c] biases every layer's input-to-state gates (Multi-Scale PixelRNN).
// Parameter names carry a prefix so that two networks can share one parameter record.

import { diagonalBiLstm, diagonalBiLstmShapes, initDiagonalBiLstm, type DiagonalBiLstmLayerSpec } from '../../layers/diagonalBiLstm.js';
import { initMaskedConv, maskedConv, maskedConvPlus, maskedConvShapes, squareConv, type MaskedConvSpec } from '../../layers/maskedConv.js';
import { initRowLstm, rowLstm, rowLstmShapes, type RowLstmLayerSpec } from '../../layers/rowLstm.js';
import { likelihoodFor } from '../../likelihoods/index.js';
import type { LikelihoodSpec } from '../../likelihoods/types.js';
import type { ForwardOptions, ImageShape } from '../../model.js';
import { Rng } from '../../rng.js';
import { tf, type NamedTensors, type Tensor4D } from '../../tf.js';
import type { DiagonalBiLstmSpec } from '../diagonalBiLstm/index.js';
import type { RowLstmSpec } from '../rowLstm/index.js';
import type { RecurrentBody } from './spec.js';

/** A Row LSTM or Diagonal BiLSTM spec: an image, a likelihood and a recurrent body. */
export type RecurrentSpec = RowLstmSpec | DiagonalBiLstmSpec;

export interface PixelRnnLayout {
  readonly input: MaskedConvSpec;
  readonly recurrent: readonly (RowLstmLayerSpec | DiagonalBiLstmLayerSpec)[];
  readonly outputs: readonly MaskedConvSpec[]; // 1×1 mask B, h → 2h, one per recurrent layer
  readonly head0: MaskedConvSpec;
  readonly head1: MaskedConvSpec;
}

/** Every layer of a PixelRNN, named `${prefix}…`; conditionFeatures > 0 adds conditioning weights. */
export const pixelRnnLayout = (s: RecurrentSpec, prefix = '', conditionFeatures = 0): PixelRnnLayout => {
  const conv = squareConv(s.channels, prefix);
  const h = s.hidden;
  const recurrent = Array.from({ length: s.layers }, (_, l) => {
    const base = { name: `${prefix}l${l}`, inFeatures: 2 * h, hidden: h, channels: s.channels, conditionFeatures };
    return s.family === 'row-lstm'
      ? { ...base, rowKernel: s.rowKernel }
      : { ...base, pixelFeatures: l === 0 ? s.channels : 0 };
  });
  return {
    input: conv('input', s.firstKernel, 'A', s.channels, 2 * h),
    recurrent,
    outputs: Array.from({ length: s.layers }, (_, l) => conv(`l${l}.out`, 1, 'B', h, 2 * h)),
    head0: conv('head0', 1, 'B', 2 * h, s.headHidden),
    head1: conv('head1', 1, 'B', s.headHidden, s.channels * likelihoodFor(s.likelihood, s).featuresPerChannel),
  };
};

const isRow = (s: RecurrentSpec): boolean => s.family === 'row-lstm';

export const pixelRnnShapes = (s: RecurrentSpec, prefix = '', conditionFeatures = 0): Record<string, number[]> => {
  const L = pixelRnnLayout(s, prefix, conditionFeatures);
  return Object.assign(
    {},
    maskedConvShapes(L.input),
    ...L.recurrent.map((r) =>
      isRow(s) ? rowLstmShapes(r as RowLstmLayerSpec) : diagonalBiLstmShapes(r as DiagonalBiLstmLayerSpec),
    ),
    ...L.outputs.map(maskedConvShapes),
    maskedConvShapes(L.head0),
    maskedConvShapes(L.head1),
  );
};

export const initPixelRnn = (s: RecurrentSpec, rng: Rng, prefix = '', conditionFeatures = 0): NamedTensors => {
  const L = pixelRnnLayout(s, prefix, conditionFeatures);
  return Object.assign(
    {},
    initMaskedConv(L.input, rng),
    ...L.recurrent.map((r) =>
      isRow(s) ? initRowLstm(r as RowLstmLayerSpec, rng) : initDiagonalBiLstm(r as DiagonalBiLstmLayerSpec, rng),
    ),
    // Residual branches start small so the initial network is close to the identity path.
    ...L.outputs.map((o) => initMaskedConv(o, rng, s.residual ? 0.5 : 1)),
    initMaskedConv(L.head0, rng),
    // The logits layer starts at 1/L² of its usual scale. The residual stream grows with depth and
    // the skip connections sum every layer's map, so the initial logits grow about as L²: at full
    // scale the paper's MNIST Diagonal BiLSTM (7 layers) started at 9,490 nats per binarized digit
    // (uniform: 543), the CIFAR presets at 3× uniform. Near-uniform logits instead trained the small
    // Diagonal BiLSTM to 98.4 nats in 60 CPU s where full scale reached 105.0. One layer: unchanged.
    initMaskedConv(L.head1, rng, 1 / s.layers ** 2),
  ) as NamedTensors;
};

/** Levels 0..K−1 to [−1, 1]. [B, H, W, C] */
export const toUnit = (x: Tensor4D, levels: number): Tensor4D => tf.sub(tf.mul(x, 2 / (levels - 1)), 1) as Tensor4D;

export const pixelRnnForward = (
  s: RecurrentSpec,
  params: NamedTensors,
  x: Tensor4D,
  options: ForwardOptions,
  prefix = '',
  condition?: Tensor4D,
): Tensor4D =>
  tf.tidy(() => {
    const conv = maskedConv(options.convImpl);
    const cf = condition ? condition.shape[3] : 0;
    const L = pixelRnnLayout(s, prefix, cf);
    const unit = toUnit(x, s.levels); //                                             [B, H, W, C]   in [−1, 1]
    const layer = (r: RowLstmLayerSpec | DiagonalBiLstmLayerSpec, m: Tensor4D): Tensor4D =>
      isRow(s)
        ? rowLstm(r as RowLstmLayerSpec, params, m, condition)
        : diagonalBiLstm(r as DiagonalBiLstmLayerSpec, params, m, condition, unit);

    let map = conv(L.input, params, unit, { inputGradient: options.inputGradient ?? false }); // [B, H, W, 2h]  7×7 mask A (input is data)
    const maps: Tensor4D[] = [];
    L.recurrent.forEach((r, l) => {
      const states = layer(r, map); //                                               [B, H, W, h]   Row LSTM / Diagonal BiLSTM
      map = s.residual
        ? maskedConvPlus(options.convImpl)(L.outputs[l]!, params, states, map) //       [B, H, W, 2h]  residual: map + 1×1 mask B (one op on wasm)
        : conv(L.outputs[l]!, params, states); //                                    [B, H, W, 2h]  1×1 mask B
      maps.push(map);
    });
    // the skip connections' sum in one pass over the layers' maps, not a running sum of L − 1 adds
    const top = !s.skip ? map : maps.length > 1 ? (tf.addN(maps) as Tensor4D) : maps[0]!; // [B, H, W, 2h]  skip sum, or the last map
    const hidden = conv(L.head0, params, tf.relu(top)); //                           [B, H, W, h']  1×1 mask B
    return conv(L.head1, params, tf.relu(hidden)); //                                [B, H, W, C·F]  1×1 mask B
  });

/** A full recurrent spec from an image shape, a likelihood and a body (used by Multi-Scale). */
export const withImage = (img: ImageShape & { readonly likelihood: LikelihoodSpec }, body: RecurrentBody): RecurrentSpec =>
  ({ height: img.height, width: img.width, channels: img.channels, levels: img.levels, likelihood: img.likelihood, ...body }) as RecurrentSpec;

/**
 * Useful flops per trained image: every weight matrix — compact, so only unmasked taps — applied once
 * per pixel (the Diagonal BiLSTM's skewed map has 2W−1 columns, of which W are pixels), ×2 for
 * multiply-adds; training is 3× the forward pass less the first layer's input gradient (its input
 * is data), as for the PixelCNN. Gate nonlinearities and other elementwise work are not counted.
 */
export const pixelRnnFlops = (spec: RecurrentSpec): { forward: number; train: number } => {
  const pixels = spec.height * spec.width;
  const macs = Object.entries(pixelRnnShapes(spec))
    .filter(([name, shape]) => name.endsWith('.w') && shape.length === 2)
    .map(([name, [rows, cols]]) => [name, rows! * cols! * pixels] as const);
  const forward = 2 * macs.reduce((a, [, m]) => a + m, 0);
  const first = macs.find(([name]) => name === 'input.w')?.[1] ?? 0;
  return { forward, train: 3 * forward - 2 * first };
};


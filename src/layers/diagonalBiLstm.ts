// Diagonal BiLSTM layer (van den Oord et al. 2016, §3.2, Figures 2 right and 3):
//
//   left direction:   K_is (1×1, mask B) ⊛ x ─ skew ─ column-by-column LSTM, K_ss a 2×1 convolution over
//                     the previous column (rows r−1 and r) ─ unskew                       → L [B, H, W, h]
//   right direction:  the same on the mirrored map (own weights), mirrored back            → R [B, H, W, h]
//   output:           L + shiftDown(R)
//
// On the skewed map, cell (r, col) is pixel (r, col−r); the previous column's rows r−1 and r are the
// pixel above and the pixel to the left, so the left state at (i, j) sees every (i', j') with i' ≤ i,
// j' ≤ j. The right direction sees i' ≤ i, j' ≥ j — including the future of row i — so it is shifted
// down one row before the sum: together they cover the whole past and nothing else.
//
// One addition to the paper: the last pixel of a row, x(i−1, W−1), is in no feature of row i−1 (a
// position's features never hold all of its own pixel), so the shifted right direction alone cannot
// bring it to (i, j) for j < W−1−⌊k/2⌋ — a one-pixel blind spot that no depth removes. The first
// layer's right direction therefore also reads the pixels themselves (`pixelFeatures` = C, a 1×1
// unmasked convolution into its gates): its output is shifted down a row, so this is causal, and it
// makes the dependence set exactly the whole past.

import {
  broadcastState,
  lstmGateConv,
  lstmGateConvShapes,
  initLstmGateConv,
  lstmCell,
  pointwise,
  splitLeading,
  stackLeading,
  type LstmGateConvSpec,
} from './lstm.js';
import { lstmScan, lstmScanAvailable } from '../kernels/lstmScan.js';
import { matMulPlain } from './matmul.js';
import { shiftDown, skew, skewReverse, unskew, unskewReverse } from './skew.js';
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor, type Tensor2D, type Tensor4D } from '../tf.js';

export interface DiagonalBiLstmLayerSpec {
  readonly name: string;
  readonly inFeatures: number;
  readonly hidden: number;
  readonly channels: number;
  /** Features of a conditioning map [B, H, W, c] added (1×1, unmasked) to the gates; 0 for none. */
  readonly conditionFeatures: number;
  /** C when the right direction also reads the pixels [B, H, W, C] (first layer); 0 otherwise. */
  readonly pixelFeatures: number;
}

export type Direction = 'left' | 'right';
export const DIRECTIONS: readonly Direction[] = ['left', 'right'];

const inputToState = (s: DiagonalBiLstmLayerSpec, d: Direction): LstmGateConvSpec => ({
  name: `${s.name}.${d}.is`,
  kh: 1,
  kw: 1,
  inFeatures: s.inFeatures,
  hidden: s.hidden,
  channels: s.channels,
});

export const diagonalBiLstmShapes = (s: DiagonalBiLstmLayerSpec): Record<string, number[]> =>
  Object.assign(
    {},
    ...DIRECTIONS.map((d) => ({
      ...lstmGateConvShapes(inputToState(s, d)),
      [`${s.name}.${d}.ss.w`]: [2 * s.hidden, 4 * s.hidden],
      [`${s.name}.${d}.h0`]: [s.hidden],
      [`${s.name}.${d}.c0`]: [s.hidden],
      ...(s.conditionFeatures > 0 ? { [`${s.name}.${d}.cond.w`]: [s.conditionFeatures, 4 * s.hidden] } : {}),
      ...(d === 'right' && s.pixelFeatures > 0 ? { [`${s.name}.right.px.w`]: [s.pixelFeatures, 4 * s.hidden] } : {}),
    })),
  );

export const initDiagonalBiLstm = (s: DiagonalBiLstmLayerSpec, rng: Rng): NamedTensors => {
  const normal = (rows: number, cols: number, std: number) =>
    tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal() * std), [rows, cols]);
  return Object.assign(
    {},
    ...DIRECTIONS.map((d) => ({
      ...initLstmGateConv(inputToState(s, d), rng),
      [`${s.name}.${d}.ss.w`]: normal(2 * s.hidden, 4 * s.hidden, Math.sqrt(1 / (2 * s.hidden))),
      [`${s.name}.${d}.h0`]: tf.zeros([s.hidden]),
      [`${s.name}.${d}.c0`]: tf.zeros([s.hidden]),
      ...(s.conditionFeatures > 0
        ? { [`${s.name}.${d}.cond.w`]: normal(s.conditionFeatures, 4 * s.hidden, Math.sqrt(1 / s.conditionFeatures)) }
        : {}),
      ...(d === 'right' && s.pixelFeatures > 0
        ? { [`${s.name}.right.px.w`]: normal(s.pixelFeatures, 4 * s.hidden, Math.sqrt(1 / s.pixelFeatures)) }
        : {}),
    })),
  ) as NamedTensors;
};

/** The 2×1 state-to-state convolution over one skewed column: rows r−1 and r. [B, H, h] → [B, H, 4h] */
const stateToState = (hPrev: Tensor, w: Tensor2D): Tensor => {
  const [b, height, h] = hPrev.shape as [number, number, number];
  const above = tf.slice(tf.pad(hPrev, [[0, 0], [1, 0], [0, 0]]), [0, 0, 0], [b, height, h]); // [B, H, h] row r−1
  const context = tf.reshape(tf.concat([above, hPrev], 2), [b * height, 2 * h]); //            [B·H, 2h]
  return tf.reshape(matMulPlain(context as Tensor2D, w), [b, height, 4 * h]); //               [B, H, 4h]
};

/**
 * Column-by-column LSTM over a skewed map of gate inputs: [B, H, W', 4h] → states [B, H, W', h].
 * Columns run left to right, or right to left when `reverse` (then the 2×1 kernel reads the column
 * to the right). Columns are split off a columns-first copy ([W', B, H, 4h]): unstacking the inner
 * axis directly is slow on wasm.
 */
export const diagonalScan = (gatesSkewed: Tensor4D, wss: Tensor2D, h0: Tensor, c0: Tensor, reverse = false): Tensor4D =>
  tf.tidy(() => {
    const [b, height, columns] = gatesSkewed.shape;
    const cols = splitLeading(tf.transpose(gatesSkewed, [2, 0, 1, 3])); //            W' × [B, H, 4h]
    let h = broadcastState(h0, [b, height]); //                                      [B, H, h]  column −1 (or W')
    let c = broadcastState(c0, [b, height]); //                                      [B, H, h]
    const states: Tensor[] = new Array<Tensor>(columns);
    for (let n = 0; n < columns; n++) {
      const j = reverse ? columns - 1 - n : n;
      const gates = tf.add(cols[j]!, stateToState(h, wss)); //                       [B, H, 4h]
      ({ h, c } = lstmCell(gates, c)); //                                              [B, H, h]
      states[j] = h;
    }
    return tf.transpose(stackLeading(states), [1, 2, 0, 3]) as Tensor4D; //           [B, H, W', h]
  });

/**
 * One direction: gates [B, H, W, 4h] → states [B, H, W, h]. The right direction is the left one on
 * the mirrored map; mirror ∘ skew ∘ mirror is skewReverse, and scanning its columns from the right is
 * scanning the mirrored skewed map from the left — so no Reverse is needed.
 */
const direction = (s: DiagonalBiLstmLayerSpec, d: Direction, params: NamedTensors, gates: Tensor4D): Tensor4D => {
  const width = gates.shape[2];
  const p = (k: string) => params[`${s.name}.${d}.${k}`]!;
  if (lstmScanAvailable(s.hidden)) {
    // our wasm kernel: the whole scan in one call, the skew done by index arithmetic inside it
    const [b, height] = gates.shape;
    const scan = lstmScan({ batch: b, mode: d === 'left' ? 'diagonal' : 'mirrored-diagonal', height, width, offsets: [-1, 0], reverse: d === 'right', hidden: s.hidden });
    return tf.reshape(scan(gates, p('ss.w') as Tensor2D, p('h0'), p('c0')), [b, height, width, s.hidden]) as Tensor4D; // [B, H, W, h]
  }
  return d === 'left'
    ? unskew(diagonalScan(skew(gates), p('ss.w') as Tensor2D, p('h0'), p('c0')), width)
    : unskewReverse(diagonalScan(skewReverse(gates), p('ss.w') as Tensor2D, p('h0'), p('c0'), true), width);
};

/**
 * Diagonal BiLSTM over a map: x [B, H, W, in] (and condition [B, H, W, c], and for the first layer
 * the pixels [B, H, W, C] in [−1, 1]) → [B, H, W, h].
 */
export const diagonalBiLstm = (
  s: DiagonalBiLstmLayerSpec,
  params: NamedTensors,
  x: Tensor4D,
  condition?: Tensor4D,
  pixels?: Tensor4D,
): Tensor4D =>
  tf.tidy(() => {
    if (s.conditionFeatures > 0 && !condition)
      throw new Error(`${s.name}: expected a condition map with ${s.conditionFeatures} features`);
    if (s.pixelFeatures > 0 && !pixels) throw new Error(`${s.name}: expected the pixels [B, H, W, ${s.pixelFeatures}]`);
    const gatesOf = (d: Direction): Tensor4D => {
      let g = lstmGateConv(inputToState(s, d), params, x); //                           [B, H, W, 4h]  1×1 mask B
      if (s.conditionFeatures > 0) g = tf.add(g, pointwise(condition!, params[`${s.name}.${d}.cond.w`] as Tensor2D));
      if (d === 'right' && s.pixelFeatures > 0)
        g = tf.add(g, pointwise(pixels!, params[`${s.name}.right.px.w`] as Tensor2D)); // [B, H, W, 4h]  1×1 unmasked, shifted below
      return g;
    };
    const left = direction(s, 'left', params, gatesOf('left')); //                  [B, H, W, h]
    const right = direction(s, 'right', params, gatesOf('right')); //               [B, H, W, h]
    return tf.add(left, shiftDown(right)) as Tensor4D; //                            [B, H, W, h]
  });

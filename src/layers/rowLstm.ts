// Row LSTM layer (van den Oord et al. 2016, §3.1, Figure 2 left):
//
//   input-to-state  K_is: 1×k convolution along the row, mask B — computed for the whole map at once;
//   state-to-state  K_ss: 1×3 unmasked convolution over the previous row's hidden state;
//   row i's gates = K_is ⊛ x (row i) + K_ss ⊛ h (row i−1); rows processed top to bottom, from a
//   learned initial state standing for row −1.
//
// Row i−1 lies entirely before row i in raster order, so K_ss may mix all channel groups; only K_is
// is masked. Each state sees three states of the row above, so the receptive field is a triangle
// above the pixel (widening by one column per row up), not the whole past.

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
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor, type Tensor2D, type Tensor4D } from '../tf.js';

export interface RowLstmLayerSpec {
  readonly name: string;
  /** Features of the input map (2h in the paper). */
  readonly inFeatures: number;
  /** h: features of the state. */
  readonly hidden: number;
  readonly channels: number;
  /** k of the 1×k input-to-state convolution. */
  readonly rowKernel: number;
  /** Features of a conditioning map [B, H, W, c] added (1×1, unmasked) to the gates; 0 for none. */
  readonly conditionFeatures: number;
}

/** Width of the state-to-state kernel along the previous row. */
export const STATE_KERNEL = 3;

const inputToState = (s: RowLstmLayerSpec): LstmGateConvSpec => ({
  name: `${s.name}.is`,
  kh: 1,
  kw: s.rowKernel,
  inFeatures: s.inFeatures,
  hidden: s.hidden,
  channels: s.channels,
});

export const rowLstmShapes = (s: RowLstmLayerSpec): Record<string, number[]> => ({
  ...lstmGateConvShapes(inputToState(s)),
  [`${s.name}.ss.w`]: [STATE_KERNEL * s.hidden, 4 * s.hidden],
  [`${s.name}.h0`]: [s.hidden],
  [`${s.name}.c0`]: [s.hidden],
  ...(s.conditionFeatures > 0 ? { [`${s.name}.cond.w`]: [s.conditionFeatures, 4 * s.hidden] } : {}),
});

export const initRowLstm = (s: RowLstmLayerSpec, rng: Rng): NamedTensors => {
  const normal = (rows: number, cols: number, std: number) =>
    tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal() * std), [rows, cols]);
  return {
    ...initLstmGateConv(inputToState(s), rng),
    [`${s.name}.ss.w`]: normal(STATE_KERNEL * s.hidden, 4 * s.hidden, Math.sqrt(1 / (STATE_KERNEL * s.hidden))),
    [`${s.name}.h0`]: tf.zeros([s.hidden]),
    [`${s.name}.c0`]: tf.zeros([s.hidden]),
    ...(s.conditionFeatures > 0
      ? { [`${s.name}.cond.w`]: normal(s.conditionFeatures, 4 * s.hidden, Math.sqrt(1 / s.conditionFeatures)) }
      : {}),
  };
};

/** The 1×3 state-to-state convolution over one row of states: [B, W, h] → [B, W, 4h]. */
const stateToState = (hPrev: Tensor, w: Tensor2D): Tensor => {
  const [b, width, h] = hPrev.shape as [number, number, number];
  const half = Math.floor(STATE_KERNEL / 2);
  const padded = tf.pad(hPrev, [[0, 0], [half, half], [0, 0]]); //                 [B, W+2, h]
  const taps = Array.from({ length: STATE_KERNEL }, (_, t) => tf.slice(padded, [0, t, 0], [b, width, h]));
  const context = tf.reshape(tf.concat(taps, 2), [b * width, STATE_KERNEL * h]); // [B·W, 3h]
  return tf.reshape(matMulPlain(context as Tensor2D, w), [b, width, 4 * h]); //     [B, W, 4h]
};

/** Row LSTM over a map: x [B, H, W, in] (and condition [B, H, W, c]) → states [B, H, W, h]. */
export const rowLstm = (s: RowLstmLayerSpec, params: NamedTensors, x: Tensor4D, condition?: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, height, width] = x.shape;
    let gatesIn = lstmGateConv(inputToState(s), params, x); //                          [B, H, W, 4h]  1×k mask B
    if (s.conditionFeatures > 0) {
      if (!condition) throw new Error(`${s.name}: expected a condition map with ${s.conditionFeatures} features`);
      gatesIn = tf.add(gatesIn, pointwise(condition, params[`${s.name}.cond.w`] as Tensor2D)); // [B, H, W, 4h]
    }
    const wss = params[`${s.name}.ss.w`] as Tensor2D; //                             [3h, 4h]
    if (lstmScanAvailable(s.hidden)) {
      // the whole scan in our wasm kernel: steps are rows, the line a row's columns, taps left/centre/right
      const offsets = Array.from({ length: STATE_KERNEL }, (_, t) => t - Math.floor(STATE_KERNEL / 2)); // as stateToState's taps
      const scan = lstmScan({ batch: b, mode: 'rows', height, width, offsets, reverse: false, hidden: s.hidden });
      return tf.reshape(scan(gatesIn, wss, params[`${s.name}.h0`]!, params[`${s.name}.c0`]!), [b, height, width, s.hidden]) as Tensor4D; // [B, H, W, h]
    }
    const rows = splitLeading(tf.transpose(gatesIn, [1, 0, 2, 3])); //                H × [B, W, 4h]
    let h = broadcastState(params[`${s.name}.h0`]!, [b, width]); //                  [B, W, h]  row −1
    let c = broadcastState(params[`${s.name}.c0`]!, [b, width]); //                  [B, W, h]
    const states: Tensor[] = [];
    for (let i = 0; i < height; i++) {
      const gates = tf.add(rows[i]!, stateToState(h, wss)); //                       [B, W, 4h]
      ({ h, c } = lstmCell(gates, c)); //                                              [B, W, h]
      states.push(h);
    }
    return tf.transpose(stackLeading(states), [1, 0, 2, 3]) as Tensor4D; //           [B, H, W, h]
  });

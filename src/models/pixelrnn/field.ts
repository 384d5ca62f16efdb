// The PixelRNNs' reference receptive fields (props' full-past law), from the paper's description of
// each layer rather than from the model code.

import type { ImageShape } from '../../model.js';
import { inputState, maskedStep, orInto, pixelRnnField, type Dependence, type FieldState } from '../../receptiveField.js';
import type { DiagonalBiLstmSpec } from '../diagonalBiLstm/index.js';
import type { RowLstmSpec } from '../rowLstm/index.js';

/**
 * One Row LSTM layer (paper §3.1): the state of row i at (i, j), group g, sees the 1×k mask-B
 * input-to-state taps of its own row of the map (left of j, all groups; at j, groups ≤ g) and the
 * 1×3 state-to-state taps of the row above (j−1, j, j+1, all groups); its cell carries row i−1.
 */
const rowLstmStep = (s: ImageShape, map: FieldState, rowKernel: number): FieldState => {
  const { height: H, width: W, channels: C } = s;
  const { words } = map;
  const gates = maskedStep(s, map, { kh: 1, kw: rowKernel, type: 'B', residual: false }).bits;
  const states = new Uint32Array(map.bits.length);
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++)
      for (let g = 0; g < C; g++) {
        const out = (i * W + j) * C + g;
        orInto(states, out, gates, out, words);
        if (i > 0)
          for (let dx = -1; dx <= 1; dx++)
            if (j + dx >= 0 && j + dx < W) for (let g2 = 0; g2 < C; g2++) orInto(states, out, states, ((i - 1) * W + j + dx) * C + g2, words);
      }
  return { words, bits: states };
};

/**
 * One Diagonal BiLSTM layer (paper §3.2, as src/layers/diagonalBiLstm.ts builds it): the left
 * direction's state at (i, j) sees its own 1×1 mask-B gates (map groups ≤ g at (i, j)) and every
 * group of the states above and to the left; the right direction the same with the state to the
 * right, plus — in the first layer — the pixels themselves (1×1 unmasked); the output is
 * L(i, j) + R(i−1, j) (the right direction shifted down a row).
 */
const diagonalStep = (s: ImageShape, map: FieldState, pixels: FieldState | null): FieldState => {
  const { height: H, width: W, channels: C } = s;
  const { words } = map;
  const gates = maskedStep(s, map, { kh: 1, kw: 1, type: 'B', residual: false }).bits;
  const left = new Uint32Array(map.bits.length);
  const right = new Uint32Array(map.bits.length);
  const at = (i: number, j: number, g: number) => (i * W + j) * C + g;
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++)
      for (let g = 0; g < C; g++) {
        orInto(left, at(i, j, g), gates, at(i, j, g), words);
        for (let g2 = 0; g2 < C; g2++) {
          if (i > 0) orInto(left, at(i, j, g), left, at(i - 1, j, g2), words);
          if (j > 0) orInto(left, at(i, j, g), left, at(i, j - 1, g2), words);
        }
      }
    for (let j = W - 1; j >= 0; j--)
      for (let g = 0; g < C; g++) {
        orInto(right, at(i, j, g), gates, at(i, j, g), words);
        if (pixels) for (let g2 = 0; g2 < C; g2++) orInto(right, at(i, j, g), pixels.bits, at(i, j, g2), words);
        for (let g2 = 0; g2 < C; g2++) {
          if (i > 0) orInto(right, at(i, j, g), right, at(i - 1, j, g2), words);
          if (j < W - 1) orInto(right, at(i, j, g), right, at(i, j + 1, g2), words);
        }
      }
  }
  const out = Uint32Array.from(left);
  for (let i = 1; i < H; i++)
    for (let j = 0; j < W; j++) for (let g = 0; g < C; g++) orInto(out, at(i, j, g), right, at(i - 1, j, g), words);
  return { words, bits: out };
};

/** Row LSTM: the triangle above the pixel that 1×k input-to-state and 1×3 state-to-state reach. */
export const rowLstmField = (s: RowLstmSpec): Dependence => pixelRnnField(s, (map) => rowLstmStep(s, map, s.rowKernel));

/** Diagonal BiLSTM: the whole past (its first layer's right direction also reads the pixels). */
export const diagonalBiLstmField = (s: DiagonalBiLstmSpec): Dependence =>
  pixelRnnField(s, (map, layer) => diagonalStep(s, map, layer === 0 ? inputState(s) : null));


// Dependence sets as plain data, and the reference receptive field of each family, computed from
// the spec alone — on purpose independent of src/masks.ts and of the model code, so that a mask
// that leaks and a mask that is too strict both show up as a difference (field.spec.ts checks
// that this rule agrees with the mask tables).

import type { ImageShape } from '../src/model.js';
import type { DiagonalBiLstmSpec, PixelCnnSpec, RowLstmSpec } from '../src/models/spec.js';
import type { ModelSpec } from '../src/models/registry.js';
import { rasterOrder } from './order.js';
import { valuesPerImage } from './types.js';

/** has[p·n + q] = 1 when the logits at flat index p depend on the input at flat index q. */
export interface Dependence {
  readonly size: number; // n = H·W·C
  readonly has: Uint8Array; // [n, n]
}

export const emptyDependence = (s: ImageShape): Dependence => {
  const n = valuesPerImage(s);
  return { size: n, has: new Uint8Array(n * n) };
};

/** Union of dependence sets (same shape). */
export const unionDependence = (a: Dependence, b: Dependence): Dependence => {
  const has = new Uint8Array(a.has.length);
  for (let k = 0; k < has.length; k++) has[k] = a.has[k]! | b.has[k]!;
  return { size: a.size, has };
};

/**
 * What the autoregressive order allows: every q of lower rank than p (raster order by default:
 * earlier pixels, earlier channels of the pixel). This is also the field of a model that sees the
 * whole past (Diagonal BiLSTM).
 */
export const allowedField = (s: ImageShape, rank: Int32Array = rasterOrder(s)): Dependence => {
  const d = emptyDependence(s);
  for (let p = 0; p < d.size; p++) for (let q = 0; q < d.size; q++) if (rank[q]! < rank[p]!) d.has[p * d.size + q] = 1;
  return d;
};

// A masked layer in the reference: kernel kh×kw, mask type; features are taken per channel group.
interface RefLayer {
  readonly kh: number;
  readonly kw: number;
  readonly type: 'A' | 'B';
  readonly residual: boolean;
}

/** The paper's rule, written out again: a tap is visible when it is above, or left in the centre row. */
const visibleTap = (dy: number, dx: number): boolean => dy < 0 || (dy === 0 && dx < 0);
/** At the centre: output group g sees input group g' when g' < g (mask A) or g' ≤ g (mask B). */
const visibleCentre = (type: 'A' | 'B', inGroup: number, outGroup: number): boolean =>
  type === 'A' ? inGroup < outGroup : inGroup <= outGroup;

/** The PixelCNN stack: kxk mask A, residual kxk mask B layers, two 1×1 mask-B head layers. */
export const pixelCnnReferenceLayers = (s: PixelCnnSpec): RefLayer[] => [
  { kh: s.firstKernel, kw: s.firstKernel, type: 'A', residual: false },
  ...Array.from({ length: s.residualLayers }, () => ({ kh: s.kernel, kw: s.kernel, type: 'B' as const, residual: true })),
  { kh: 1, kw: 1, type: 'B', residual: false },
  { kh: 1, kw: 1, type: 'B', residual: false },
];

// A field state: for every (pixel, channel group), a bitset of the input values it has seen.
interface FieldState {
  readonly words: number;
  readonly bits: Uint32Array; // [((i·W + j)·C + g)·words + w]
}

/** The image itself: group c at a pixel has seen exactly its own value. */
const inputState = (s: ImageShape): FieldState => {
  const n = valuesPerImage(s);
  const words = Math.ceil(n / 32);
  const bits = new Uint32Array(n * words);
  for (let q = 0; q < n; q++) bits[q * words + (q >>> 5)] = 1 << (q & 31);
  return { words, bits };
};

const orInto = (dst: Uint32Array, d: number, src: Uint32Array, sIdx: number, words: number): void => {
  for (let w = 0; w < words; w++) dst[d * words + w]! |= src[sIdx * words + w]!;
};

/** One masked kh×kw layer (plus its input, when residual). */
const maskedStep = (s: ImageShape, state: FieldState, layer: RefLayer): FieldState => {
  const { height: H, width: W, channels: C } = s;
  const { words } = state;
  const next = new Uint32Array(state.bits.length);
  const cy = Math.floor(layer.kh / 2);
  const cx = Math.floor(layer.kw / 2);
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++)
      for (let g = 0; g < C; g++) {
        const out = (i * W + j) * C + g;
        if (layer.residual) orInto(next, out, state.bits, out, words);
        for (let y = 0; y < layer.kh; y++)
          for (let x = 0; x < layer.kw; x++) {
            const dy = y - cy;
            const dx = x - cx;
            const ii = i + dy;
            const jj = j + dx;
            if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue; // zero padding
            if (dy === 0 && dx === 0) {
              for (let g2 = 0; g2 < C; g2++) if (visibleCentre(layer.type, g2, g)) orInto(next, out, state.bits, (i * W + j) * C + g2, words);
            } else if (visibleTap(dy, dx)) for (let g2 = 0; g2 < C; g2++) orInto(next, out, state.bits, (ii * W + jj) * C + g2, words);
          }
      }
  return { words, bits: next };
};

const unionState = (a: FieldState, b: FieldState): FieldState => {
  const bits = Uint32Array.from(a.bits);
  for (let k = 0; k < bits.length; k++) bits[k]! |= b.bits[k]!;
  return { words: a.words, bits };
};

const toDependence = (s: ImageShape, state: FieldState): Dependence => {
  const n = valuesPerImage(s);
  const d = emptyDependence(s);
  for (let p = 0; p < n; p++)
    for (let q = 0; q < n; q++) if ((state.bits[p * state.words + (q >>> 5)]! >>> (q & 31)) & 1) d.has[p * n + q] = 1;
  return d;
};

/**
 * Receptive field of a stack of masked layers, by propagating bitsets of input values through every
 * (pixel, channel group): a layer's group g at a pixel sees the union of what its visible taps saw.
 */
export const stackField = (s: ImageShape, layers: readonly RefLayer[]): Dependence =>
  toDependence(s, layers.reduce((state, layer) => maskedStep(s, state, layer), inputState(s)));

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

/** A PixelRNN: kxk mask A, then per layer a recurrent layer and a 1×1 mask-B output (residual, skip), two 1×1 heads. */
const pixelRnnField = (
  s: ImageShape & { firstKernel: number; layers: number; residual: boolean; skip: boolean },
  step: (map: FieldState, layer: number) => FieldState,
): Dependence => {
  let map = maskedStep(s, inputState(s), { kh: s.firstKernel, kw: s.firstKernel, type: 'A', residual: false });
  let skips: FieldState | null = null;
  for (let l = 0; l < s.layers; l++) {
    const y = maskedStep(s, step(map, l), { kh: 1, kw: 1, type: 'B', residual: false });
    map = s.residual ? unionState(map, y) : y;
    skips = skips ? unionState(skips, map) : map;
  }
  const top = s.skip && skips ? skips : map;
  const head = { kh: 1, kw: 1, type: 'B' as const, residual: false };
  return toDependence(s, maskedStep(s, maskedStep(s, top, head), head));
};

/** Row LSTM: the triangle above the pixel that 1×k input-to-state and 1×3 state-to-state reach. */
export const rowLstmField = (s: RowLstmSpec): Dependence => pixelRnnField(s, (map) => rowLstmStep(s, map, s.rowKernel));

/** Diagonal BiLSTM: the whole past (its first layer's right direction also reads the pixels). */
export const diagonalBiLstmField = (s: DiagonalBiLstmSpec): Dependence =>
  pixelRnnField(s, (map, layer) => diagonalStep(s, map, layer === 0 ? inputState(s) : null));

export const pixelCnnField = (s: PixelCnnSpec): Dependence => stackField(s, pixelCnnReferenceLayers(s));

/** A family's reference receptive field. */
export type ReferenceField = (spec: ModelSpec) => Dependence;

/**
 * Reference fields by family. New families join here: e.g. a Diagonal BiLSTM sees the whole past,
 * `(s) => allowedField(s)`; a Row LSTM a triangle above the pixel.
 */
export const referenceFields: Record<string, ReferenceField> = {
  pixelcnn: (s) => pixelCnnField(s as PixelCnnSpec),
  /** The Row LSTM sees a triangle above the pixel (paper §3.1). */
  'row-lstm': (s) => rowLstmField(s as RowLstmSpec),
  /** The Diagonal BiLSTM sees the whole past of its first layer's map (paper §3.2). */
  'diagonal-bilstm': (s) => diagonalBiLstmField(s as DiagonalBiLstmSpec),
};

/** The reference field of a spec, or undefined when its family has none registered. */
export const referenceFieldOf = (s: ModelSpec): Dependence | undefined => referenceFields[s.family]?.(s);

// Dependence sets as plain data, and the machinery that the families' reference receptive fields
// (src/models/<family>/field.ts) are computed with: bitsets of input values propagated through every
// (pixel, channel group), written apart from src/masks.ts and from the model code on purpose, so that
// a mask that leaks and a mask that is too strict both show up as a difference.

import type { ImageShape } from './model.js';

const valuesPerImage = (s: ImageShape): number => s.height * s.width * s.channels;
const rasterRank = (s: ImageShape): Int32Array => Int32Array.from({ length: valuesPerImage(s) }, (_, q) => q);

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
export const allowedField = (s: ImageShape, rank: Int32Array = rasterRank(s)): Dependence => {
  const d = emptyDependence(s);
  for (let p = 0; p < d.size; p++) for (let q = 0; q < d.size; q++) if (rank[q]! < rank[p]!) d.has[p * d.size + q] = 1;
  return d;
};

// A masked layer in the reference: kernel kh×kw, mask type; features are taken per channel group.
export interface RefLayer {
  readonly kh: number;
  readonly kw: number;
  readonly type: 'A' | 'B';
  readonly residual: boolean;
}

/** The paper's rule, written out again: a tap is visible when it is above, or left in the centre row. */
export const visibleTap = (dy: number, dx: number): boolean => dy < 0 || (dy === 0 && dx < 0);
/** At the centre: output group g sees input group g' when g' < g (mask A) or g' ≤ g (mask B). */
export const visibleCentre = (type: 'A' | 'B', inGroup: number, outGroup: number): boolean =>
  type === 'A' ? inGroup < outGroup : inGroup <= outGroup;

// A field state: for every (pixel, channel group), a bitset of the input values it has seen.
export interface FieldState {
  readonly words: number;
  readonly bits: Uint32Array; // [((i·W + j)·C + g)·words + w]
}

/** The image itself: group c at a pixel has seen exactly its own value. */
export const inputState = (s: ImageShape): FieldState => {
  const n = valuesPerImage(s);
  const words = Math.ceil(n / 32);
  const bits = new Uint32Array(n * words);
  for (let q = 0; q < n; q++) bits[q * words + (q >>> 5)] = 1 << (q & 31);
  return { words, bits };
};

export const orInto = (dst: Uint32Array, d: number, src: Uint32Array, sIdx: number, words: number): void => {
  for (let w = 0; w < words; w++) dst[d * words + w]! |= src[sIdx * words + w]!;
};

/** One masked kh×kw layer (plus its input, when residual). */
export const maskedStep = (s: ImageShape, state: FieldState, layer: RefLayer): FieldState => {
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

export const unionState = (a: FieldState, b: FieldState): FieldState => {
  const bits = Uint32Array.from(a.bits);
  for (let k = 0; k < bits.length; k++) bits[k]! |= b.bits[k]!;
  return { words: a.words, bits };
};

export const toDependence = (s: ImageShape, state: FieldState): Dependence => {
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

/** A PixelRNN: kxk mask A, then per layer a recurrent layer and a 1×1 mask-B output (residual, skip), two 1×1 heads. */
export const pixelRnnField = (
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


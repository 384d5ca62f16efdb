// Dependence sets as plain data, and the reference receptive field of each family, computed from
// the spec alone — on purpose independent of src/masks.ts and of the model code, so that a mask
// that leaks and a mask that is too strict both show up as a difference (field.spec.ts checks
// that this rule agrees with the mask tables).

import type { ImageShape } from '../src/model.js';
import type { PixelCnnSpec } from '../src/models/spec.js';
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

/**
 * Receptive field of a stack of masked layers, by propagating bitsets of input values through every
 * (pixel, channel group): a layer's group g at a pixel sees the union of what its visible taps saw.
 */
export const stackField = (s: ImageShape, layers: readonly RefLayer[]): Dependence => {
  const { height: H, width: W, channels: C } = s;
  const n = valuesPerImage(s);
  const words = Math.ceil(n / 32);
  // state[((i·W + j)·C + g)·words + w]: bitset of input values seen by group g at (i, j)
  let state = new Uint32Array(n * words);
  for (let q = 0; q < n; q++) state[q * words + (q >>> 5)] = 1 << (q & 31);
  for (const layer of layers) {
    const next = new Uint32Array(n * words);
    const cy = Math.floor(layer.kh / 2);
    const cx = Math.floor(layer.kw / 2);
    const or = (dst: number, src: number) => {
      for (let w = 0; w < words; w++) next[dst * words + w]! |= state[src * words + w]!;
    };
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let g = 0; g < C; g++) {
          const out = (i * W + j) * C + g;
          if (layer.residual) or(out, out);
          for (let y = 0; y < layer.kh; y++)
            for (let x = 0; x < layer.kw; x++) {
              const dy = y - cy;
              const dx = x - cx;
              const ii = i + dy;
              const jj = j + dx;
              if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue; // zero padding
              if (dy === 0 && dx === 0) {
                for (let g2 = 0; g2 < C; g2++) if (visibleCentre(layer.type, g2, g)) or(out, (i * W + j) * C + g2);
              } else if (visibleTap(dy, dx)) for (let g2 = 0; g2 < C; g2++) or(out, (ii * W + jj) * C + g2);
            }
        }
    state = next;
  }
  const d = emptyDependence(s);
  for (let p = 0; p < n; p++)
    for (let q = 0; q < n; q++) if ((state[p * words + (q >>> 5)]! >>> (q & 31)) & 1) d.has[p * n + q] = 1;
  return d;
};

export const pixelCnnField = (s: PixelCnnSpec): Dependence => stackField(s, pixelCnnReferenceLayers(s));

/** A family's reference receptive field. */
export type ReferenceField = (spec: ModelSpec) => Dependence;

/**
 * Reference fields by family. New families join here: e.g. a Diagonal BiLSTM sees the whole past,
 * `(s) => allowedField(s)`; a Row LSTM a triangle above the pixel.
 */
export const referenceFields: Record<string, ReferenceField> = {
  pixelcnn: (s) => pixelCnnField(s as PixelCnnSpec),
  /** The Diagonal BiLSTM sees the whole past (paper §3.2). */
  'diagonal-bilstm': (s) => allowedField(s),
};

/** The reference field of a spec, or undefined when its family has none registered. */
export const referenceFieldOf = (s: ModelSpec): Dependence | undefined => referenceFields[s.family]?.(s);

// Masked convolution, two implementations over the same compact weights:
//  - 'gather': pad causally, slice only the allowed taps, concat on channels, one matMul
//    (trains on wasm, which lacks Conv2DBackpropFilter);
//  - 'dense':  scatter the compact weights into a kh×kw kernel and call conv2d (fast on tensorflow).
// Weights are stored compactly as [rows, out], rows = (allowed off-centre taps + centre?) × in, so a
// checkpoint does not depend on the implementation and masked-out weights do not exist at all.

import { maskTable, type MaskTable, type MaskType } from '../masks.js';
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor2D, type Tensor4D } from '../tf.js';
import { matMulPlain } from './matmul.js';

export type ConvImpl = 'gather' | 'dense';

export interface MaskedConvSpec {
  readonly name: string;
  readonly kh: number;
  readonly kw: number;
  readonly type: MaskType;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly channels: number;
}

interface Layout {
  readonly table: MaskTable;
  readonly taps: readonly { dy: number; dx: number }[]; // gathered taps, centre last if used
  readonly rows: number;
  readonly weightMask: Float32Array | null; // [rows, out], null when nothing is masked inside rows
}

const layouts = new Map<string, Layout>();

export const convLayout = (s: MaskedConvSpec): Layout => {
  const key = `${s.kh}x${s.kw}${s.type}:${s.inFeatures}>${s.outFeatures}/${s.channels}`;
  const hit = layouts.get(key);
  if (hit) return hit;
  const table = maskTable(s.kh, s.kw, s.type, s.inFeatures, s.outFeatures, s.channels);
  const taps = table.centreUsed ? [...table.pastTaps, { dy: 0, dx: 0 }] : [...table.pastTaps];
  const rows = taps.length * s.inFeatures;
  const allCentreOpen = table.centre.every((r) => r.every((v) => v === 1));
  let weightMask: Float32Array | null = null;
  if (table.centreUsed && !allCentreOpen) {
    weightMask = new Float32Array(rows * s.outFeatures).fill(1);
    const base = table.pastTaps.length * s.inFeatures;
    for (let i = 0; i < s.inFeatures; i++)
      for (let o = 0; o < s.outFeatures; o++) weightMask[(base + i) * s.outFeatures + o] = table.centre[i]![o]!;
  }
  const layout = { table, taps, rows, weightMask };
  layouts.set(key, layout);
  return layout;
};

/** Initial weights: scaled normal over the visible fan-in, zero bias. */
export const initMaskedConv = (s: MaskedConvSpec, rng: Rng, scale = 1): NamedTensors => {
  const { rows } = convLayout(s);
  const std = scale * Math.sqrt(2 / Math.max(1, rows));
  const w = new Float32Array(rows * s.outFeatures);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
  return {
    [`${s.name}.w`]: tf.tensor2d(w, [rows, s.outFeatures]),
    [`${s.name}.b`]: tf.zeros([s.outFeatures]),
  };
};

export const maskedConvShapes = (s: MaskedConvSpec): Record<string, number[]> => ({
  [`${s.name}.w`]: [convLayout(s).rows, s.outFeatures],
  [`${s.name}.b`]: [s.outFeatures],
});

/** The compact weights with the centre's channel mask applied: [rows, out]. */
const maskedWeights = (s: MaskedConvSpec, params: NamedTensors): Tensor2D => {
  const w = params[`${s.name}.w`] as Tensor2D;
  const { weightMask, rows } = convLayout(s);
  return weightMask ? tf.mul(w, tf.tensor2d(weightMask, [rows, s.outFeatures])) : w;
};

/** Zero-pad above and at the sides only, so that every tap reads the past. */
export const causalPad = (x: Tensor4D, kh: number, kw: number): Tensor4D => {
  const cy = Math.floor(kh / 2);
  const cx = Math.floor(kw / 2);
  return tf.pad(x, [
    [0, 0],
    [cy, 0],
    [cx, kw - 1 - cx],
    [0, 0],
  ]);
};

const gatherConv = (s: MaskedConvSpec, params: NamedTensors, x: Tensor4D): Tensor4D => {
  const [b, h, w, cin] = x.shape;
  const { taps, rows } = convLayout(s);
  const weights = maskedWeights(s, params); // [rows, out]
  let columns: tf.Tensor; // [B, H, W, rows]
  if (taps.length === 1 && taps[0]!.dy === 0 && taps[0]!.dx === 0) columns = x;
  else {
    const cy = Math.floor(s.kh / 2);
    const cx = Math.floor(s.kw / 2);
    const padded = causalPad(x, s.kh, s.kw); // [B, H+cy, W+kw-1, in]
    const slices = taps.map(({ dy, dx }) => tf.slice(padded, [0, cy + dy, cx + dx, 0], [b, h, w, cin]));
    columns = tf.concat(slices, 3);
  }
  const flat = tf.reshape(columns, [b * h * w, rows]) as Tensor2D; // [B·H·W, rows]
  const out = tf.add(matMulPlain(flat, weights), params[`${s.name}.b`]!); // [B·H·W, out]
  return tf.reshape(out, [b, h, w, s.outFeatures]);
};

const placements = new Map<string, Float32Array>();

/** 0/1 matrix [kh·kw, taps] putting each gathered tap at its kernel position. */
const placement = (s: MaskedConvSpec): Float32Array => {
  const { taps } = convLayout(s);
  const key = `${s.kh}x${s.kw}:${taps.map((t) => `${t.dy},${t.dx}`).join(';')}`;
  const hit = placements.get(key);
  if (hit) return hit;
  const cy = Math.floor(s.kh / 2);
  const cx = Math.floor(s.kw / 2);
  const p = new Float32Array(s.kh * s.kw * taps.length);
  taps.forEach(({ dy, dx }, t) => {
    p[((cy + dy) * s.kw + (cx + dx)) * taps.length + t] = 1;
  });
  placements.set(key, p);
  return p;
};

/** The full conv2d kernel [kh, kw, in, out], zero wherever the mask forbids. */
export const denseKernel = (s: MaskedConvSpec, params: NamedTensors): tf.Tensor4D => {
  const { taps } = convLayout(s);
  const compact = tf.reshape(maskedWeights(s, params), [taps.length, s.inFeatures * s.outFeatures]);
  const p = tf.tensor2d(placement(s), [s.kh * s.kw, taps.length]);
  return tf.reshape(tf.matMul(p, compact as Tensor2D), [s.kh, s.kw, s.inFeatures, s.outFeatures]);
};

const denseConv = (s: MaskedConvSpec, params: NamedTensors, x: Tensor4D): Tensor4D => {
  const padded = causalPad(x, s.kh, s.kw); // [B, H+cy, W+kw-1, in]
  const y = tf.conv2d(padded, denseKernel(s, params), 1, 'valid'); // [B, H, W, out]
  return tf.add(y, params[`${s.name}.b`]!);
};

export const maskedConv = (impl: ConvImpl) => (s: MaskedConvSpec, params: NamedTensors, x: Tensor4D): Tensor4D =>
  impl === 'dense' ? denseConv(s, params, x) : gatherConv(s, params, x);

/** Best implementation for the running backend: conv2d where it trains fast, tap-gather elsewhere. */
export const defaultConvImpl = (): ConvImpl => (tf.getBackend() === 'tensorflow' ? 'dense' : 'gather');

// Pieces shared by the Row LSTM and the Diagonal BiLSTM (van den Oord et al. 2016, §3.1–3.2):
//
//   [o, f, i, g] = σ/σ/σ/tanh(K_ss ⊛ h_{prev} + K_is ⊛ x)      c = f ⊙ c_prev + i ⊙ g      h = o ⊙ tanh(c)
//
// The input-to-state convolution K_is is masked (mask B) and produces 4h features laid out as four
// gate blocks [i | f | o | g] of h features each. Channel masking must hold per gate: state feature
// k belongs to channel group channelGroup(k, h, C), and so must the k-th feature of every gate, so the
// mask is the h-output mask of masks.ts repeated once per gate (a plain 4h-output mask would group
// the 4h features differently whenever 4h/C is not 4·(h/C), e.g. h = 128, C = 3).
// Weights are compact as in maskedConv.ts: [rows, 4h], rows = gathered taps × in.

import { causalConvKernels } from '../kernels/causalConv.js';
import { causalConv2d, convLayout, causalPad, type MaskedConvSpec } from './maskedConv.js';
import { matMulPlain } from './matmul.js';
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from '../tf.js';

export interface LstmGateConvSpec {
  readonly name: string;
  readonly kh: number;
  readonly kw: number;
  readonly inFeatures: number;
  /** h: features per gate. */
  readonly hidden: number;
  readonly channels: number;
}

const perGate = (s: LstmGateConvSpec): MaskedConvSpec => ({
  name: s.name,
  kh: s.kh,
  kw: s.kw,
  type: 'B',
  inFeatures: s.inFeatures,
  outFeatures: s.hidden,
  channels: s.channels,
});

const gateMasks = new Map<string, Float32Array | null>();

/** The per-gate mask tiled over the four gates: [rows, 4h], or null when nothing is masked. */
const gatedMask = (s: LstmGateConvSpec): Float32Array | null => {
  const key = `${s.kh}x${s.kw}:${s.inFeatures}>${s.hidden}/${s.channels}`;
  if (gateMasks.has(key)) return gateMasks.get(key)!;
  const { weightMask, rows } = convLayout(perGate(s));
  let out: Float32Array | null = null;
  if (weightMask) {
    const h = s.hidden;
    out = new Float32Array(rows * 4 * h);
    for (let r = 0; r < rows; r++)
      for (let g = 0; g < 4; g++) for (let k = 0; k < h; k++) out[r * 4 * h + g * h + k] = weightMask[r * h + k]!;
  }
  gateMasks.set(key, out);
  return out;
};

export const lstmGateConvShapes = (s: LstmGateConvSpec): Record<string, number[]> => ({
  [`${s.name}.w`]: [convLayout(perGate(s)).rows, 4 * s.hidden],
  [`${s.name}.b`]: [4 * s.hidden],
});

/** Scaled normal weights; bias 1 on the forget gate, 0 elsewhere. */
export const initLstmGateConv = (s: LstmGateConvSpec, rng: Rng, scale = 1): NamedTensors => {
  const { rows } = convLayout(perGate(s));
  const h = s.hidden;
  const std = scale * Math.sqrt(1 / Math.max(1, rows));
  const w = new Float32Array(rows * 4 * h);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
  const b = new Float32Array(4 * h);
  b.fill(1, h, 2 * h);
  return { [`${s.name}.w`]: tf.tensor2d(w, [rows, 4 * h]), [`${s.name}.b`]: tf.tensor1d(b) };
};

/** Masked (mask B, per-gate channel groups) input-to-state convolution: [B, H, W, in] → [B, H, W, 4h]. */
export const lstmGateConv = (s: LstmGateConvSpec, params: NamedTensors, x: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, cin] = x.shape;
    const { taps, rows } = convLayout(perGate(s));
    const mask = gatedMask(s);
    const raw = params[`${s.name}.w`] as Tensor2D;
    const weights = mask ? tf.mul(raw, tf.tensor2d(mask, [rows, 4 * s.hidden])) : raw; // [rows, 4h]
    const own = causalConvKernels(cin, 4 * s.hidden);
    if (own.forward && own.inputGrad && own.weightGrad) {
      // our wasm kernels: the taps are the first of the kernel rectangle, as in maskedConv.ts
      const conv = causalConv2d(Math.floor(s.kh / 2), Math.floor(s.kw / 2), s.kw);
      return conv(x, weights as Tensor2D, params[`${s.name}.b`] as Tensor1D); //    [B, H, W, 4h]
    }
    let columns: Tensor; //                                                         [B, H, W, rows]
    if (taps.length === 1 && taps[0]!.dy === 0 && taps[0]!.dx === 0) columns = x;
    else {
      const cy = Math.floor(s.kh / 2);
      const cx = Math.floor(s.kw / 2);
      const padded = causalPad(x, s.kh, s.kw); //                                   [B, H+cy, W+kw−1, in]
      columns = tf.concat(
        taps.map(({ dy, dx }) => tf.slice(padded, [0, cy + dy, cx + dx, 0], [b, h, w, cin])),
        3,
      );
    }
    const flat = tf.reshape(columns, [b * h * w, rows]) as Tensor2D; //            [B·H·W, rows]
    const out = tf.add(matMulPlain(flat, weights as Tensor2D), params[`${s.name}.b`]!); // [B·H·W, 4h]
    return tf.reshape(out, [b, h, w, 4 * s.hidden]) as Tensor4D; //                  [B, H, W, 4h]
  });

/**
 * Unmasked 1×1 convolution without bias: [B, H, W, in] × [in, out] → [B, H, W, out]. Through our
 * kernel (one tap, a zero bias) where it takes both widths in every direction: 1.35–1.45× the
 * matMul path forward and backward at the Multi-Scale conditioning widths, a Multi-Scale training
 * step about 1.1× faster.
 */
export const pointwise = (x: Tensor4D, w: Tensor2D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, wd, cin] = x.shape;
    const out = w.shape[1];
    const own = causalConvKernels(cin, out);
    if (own.forward && own.inputGrad && own.weightGrad) return causalConv2d(0, 0, 1)(x, w, tf.zeros([out])); // [B, H, W, out]
    const y = matMulPlain(tf.reshape(x, [b * h * wd, cin]) as Tensor2D, w); //     [B·H·W, out]
    return tf.reshape(y, [b, h, wd, out]) as Tensor4D; //                          [B, H, W, out]
  });

/** One LSTM update from pre-activations [..., 4h] = [i | f | o | g] and the previous cell [..., h]. */
export const lstmCell = (gates: Tensor, cPrev: Tensor): { h: Tensor; c: Tensor } => {
  const [i, f, o, g] = tf.split(gates, 4, gates.rank - 1);
  const c = tf.add(tf.mul(tf.sigmoid(f!), cPrev), tf.mul(tf.sigmoid(i!), tf.tanh(g!))); // [..., h]
  const h = tf.mul(tf.sigmoid(o!), tf.tanh(c)); //                                         [..., h]
  return { h, c };
};

/** A learned state vector [h] repeated over the leading dims: [...dims, h]. */
export const broadcastState = (v: Tensor, dims: number[]): Tensor => tf.broadcastTo(v, [...dims, v.shape[0]!]);

/**
 * t [n, ...] → n tensors [...], by halving recursively: on wasm a slice costs time in proportion to
 * its INPUT, so n slices of one tensor cost n² while halving costs n·log n. Gradient: concats.
 */
export const splitLeading = (t: Tensor): Tensor[] => {
  const n = t.shape[0]!;
  if (n === 1) return [tf.reshape(t, t.shape.slice(1))];
  const k = Math.floor(n / 2);
  const [a, b] = tf.split(t, [k, n - k], 0);
  return [...splitLeading(a!), ...splitLeading(b!)];
};

/** n tensors [...] → [n, ...], by concatenating pairs recursively (see splitLeading). */
export const stackLeading = (ts: readonly Tensor[]): Tensor => {
  if (ts.length === 1) return tf.expandDims(ts[0]!, 0);
  const k = Math.floor(ts.length / 2);
  return tf.concat([stackLeading(ts.slice(0, k)), stackLeading(ts.slice(k))], 0);
};

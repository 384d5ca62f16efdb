// PixelCNN++'s causality by small named shift functions (Salimans et al. 2017; openai/pixel-cnn nn.py):
//
//   downShift(x)        row r of the output is row r−1 of x (row 0 zeros): "strictly above"
//   rightShift(x)       column c of the output is column c−1 of x: "strictly left"
//   shiftedConv down    a kh×kw conv whose output (r, c) reads rows r−kh+1..r, columns c−⌊kw/2⌋..c+⌊kw/2⌋
//                       (never a row below): the stream from above
//   shiftedConv right   a kh×kw conv reading rows r−kh+1..r, columns c−kw+1..c (never below, never
//                       right): the stream from above and the left
//   stride 2            the same conv read at every other row and column (output (i, j) is the
//                       stride-1 output at (2i, 2j): rows 2i−kh+1..2i of the finer map)
//   transposed (up)     the same conv over the coarse map spread onto the finer grid with zeros
//                       between (coarse (a, b) at fine (2a, 2b)): fine (r, c) reads coarse rows ⌊r/2⌋
//                       (and ⌊r/2⌋−1 where the kernel's upper row lands on a coarse row), never below
//
// Two implementations over the same compact weights [kh·kw·in, out] (taps in raster order over the
// rectangle — the layout of a conv2d filter [kh, kw, in, out], flattened):
//   - 'gather': every conv is maskedConv.ts causalConv2d over the rectangle (our wasm SIMD kernels
//     where the widths fit, forward and both gradients; a conv2d with a forward-only gradient
//     elsewhere). Strided and transposed convs are that conv on the finer grid, then subsampled /
//     over the zero-spread input: they compute 4× the useful multiply-adds, but run on the same
//     kernels and need no Conv2DBackpropFilter (which tfjs-wasm lacks).
//   - 'dense': the openai/pixel-cnn formulation — pad, conv2d 'valid' (stride 1 or 2), and
//     conv2dTranspose 'valid' then crop — with tfjs's own gradients (cpu or tensorflow backends:
//     wasm has no Conv2DBackpropFilter). It is the independent reference the gather path is tested
//     against (shift.spec.ts: values and gradients to 1e-5).
// concat_elu (elu([x, −x]), PixelCNN++'s nonlinearity) is kept as its pieces elu(x), elu(−x), and a
// conv over pieces is a sum of convs over each piece's rows of the weights (shiftedConvOfPieces):
// on wasm an activation-sized concat, and the slices of its gradient, cost more than the convs.

import { causalConv2d, denseBias, type ConvImpl } from './maskedConv.js';
import { causalConvKernels } from '../kernels/causalConv.js';
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../tf.js';

/** Which past a shifted conv reads: 'down' (rows above, centred columns) or 'downRight' (rows above, columns left). */
export type ShiftKind = 'down' | 'downRight';

export interface ShiftedConvSpec {
  readonly name: string;
  readonly kind: ShiftKind;
  readonly kh: number;
  readonly kw: number; // odd for 'down'
  /** 1: same resolution; 2: half resolution (ceil); −2: transposed, twice the resolution. */
  readonly stride: 1 | 2 | -2;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** Row r of the output is row r−1 of x; row 0 is zeros. [B, H, W, C] */
export const downShift = (x: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    if (h === 1) return tf.zerosLike(x);
    return tf.pad(tf.slice(x, [0, 0, 0, 0], [b, h - 1, w, c]), [[0, 0], [1, 0], [0, 0], [0, 0]]) as Tensor4D; // [B, H, W, C]
  });

/** Column c of the output is column c−1 of x; column 0 is zeros. [B, H, W, C] */
export const rightShift = (x: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    if (w === 1) return tf.zerosLike(x);
    return tf.pad(tf.slice(x, [0, 0, 0, 0], [b, h, w - 1, c]), [[0, 0], [0, 0], [1, 0], [0, 0]]) as Tensor4D; // [B, H, W, C]
  });

/** The rectangle as causalConv2d sees it: cy rows above the output row, cx columns left of it. */
export const shiftRect = (s: Pick<ShiftedConvSpec, 'kind' | 'kh' | 'kw'>): { cy: number; cx: number } => ({
  cy: s.kh - 1,
  cx: s.kind === 'down' ? (s.kw - 1) / 2 : s.kw - 1,
});

/** Every (dy, dx) a stride-1 shifted conv's output (r, c) reads, in weight-row order. */
export const shiftTaps = (s: Pick<ShiftedConvSpec, 'kind' | 'kh' | 'kw'>): { dy: number; dx: number }[] => {
  const { cy, cx } = shiftRect(s);
  return Array.from({ length: s.kh * s.kw }, (_, t) => ({ dy: Math.floor(t / s.kw) - cy, dx: (t % s.kw) - cx }));
};

/** Output height/width of a conv of this stride over a map of side n. */
export const strideSide = (stride: ShiftedConvSpec['stride'], n: number): number => (stride === 2 ? Math.ceil(n / 2) : stride === -2 ? 2 * n : n);

/**
 * Every other row and column, from (0, 0): [B, ⌈H/2⌉, ⌈W/2⌉, C]. Reshapes and one 4-D slice (wasm
 * slices tensors of rank ≤ 4 natively and higher ranks slowly; both have gradients everywhere).
 */
export const subsample = (x: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const [h2, w2] = [Math.ceil(h / 2), Math.ceil(w / 2)];
    const even = h % 2 || w % 2 ? tf.pad(x, [[0, 0], [0, h % 2], [0, w % 2], [0, 0]]) : x; //   [B, 2h', 2w', C]
    const blocks = tf.reshape(even, [b * h2, 2, w2, 2 * c]); //                                    [B·h', 2, w', 2C]
    const top = tf.slice(blocks, [0, 0, 0, 0], [b * h2, 1, w2, c]); //                             [B·h', 1, w', C]  (even row, even column)
    return tf.reshape(top, [b, h2, w2, c]) as Tensor4D; //                                         [B, h', w', C]
  });

/** Coarse (a, b) at fine (2a, 2b), zeros between: [B, 2h, 2w, C] (two 4-D pads: columns, then rows). */
export const spreadWithZeros = (x: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const cols = tf.pad(tf.reshape(x, [b * h, w, 1, c]), [[0, 0], [0, 0], [0, 1], [0, 0]]); //     [B·h, w, 2, C]: a zero after every column
    const rows = tf.pad(tf.reshape(cols, [b * h, 1, 2 * w, c]), [[0, 0], [0, 1], [0, 0], [0, 0]]); // [B·h, 2, 2w, C]: a zero row after every row
    return tf.reshape(rows, [b, 2 * h, 2 * w, c]) as Tensor4D; //                                    [B, 2h, 2w, C]
  });

/** The top-left h×w of x. */
export const crop = (x: Tensor4D, h: number, w: number): Tensor4D =>
  x.shape[1] === h && x.shape[2] === w ? x : (tf.slice(x, [0, 0, 0, 0], [x.shape[0], h, w, x.shape[3]]) as Tensor4D);

/** The compact weights as a conv2d filter [kh, kw, in, out]. */
const filterOf = (s: ShiftedConvSpec, w: Tensor2D): tf.Tensor4D => tf.reshape(w, [s.kh, s.kw, w.shape[0] / (s.kh * s.kw), w.shape[1]]);

/** The gather path: causalConv2d over the rectangle at stride 1; strided: subsampled; transposed: over the zero-spread map. */
const gatherShifted = (s: ShiftedConvSpec, x: Tensor4D, w: Tensor2D, b: Tensor1D, inputGradient: boolean, out?: { h: number; w: number }): Tensor4D => {
  const { cy, cx } = shiftRect(s);
  const conv = causalConv2d(cy, cx, s.kw, inputGradient);
  if (s.stride === 1) return conv(x, w, b); //                                      [B, H, W, out]
  if (s.stride === 2) return subsample(conv(x, w, b)); //                           [B, ⌈H/2⌉, ⌈W/2⌉, out]
  const fine = conv(spreadWithZeros(x), w, b); //                                   [B, 2h, 2w, out]
  return crop(fine, out?.h ?? fine.shape[1], out?.w ?? fine.shape[2]); //            [B, H, W, out]
};

/**
 * The dense path (openai/pixel-cnn's): zero-pad above (and at the sides), conv2d 'valid'; transposed:
 * conv2dTranspose 'valid' to [2h + kh − 1, 2w + kw − 1] and the crop that keeps every output's taps
 * at or above it. The transposed filter is the gather kernel flipped in space with in/out swapped
 * (the spread-with-zeros conv reads coarse (a, b) at fine (2a, 2b) through kernel position
 * (cy − dy, cx − dx), which is the transposed conv's (ky, kx) flipped).
 */
const denseShifted = (s: ShiftedConvSpec, x: Tensor4D, w: Tensor2D, b: Tensor1D, out?: { h: number; w: number }): Tensor4D => {
  const { cy, cx } = shiftRect(s);
  const filter = filterOf(s, w); //                                                 [kh, kw, in, out]
  if (s.stride !== -2) {
    const padded = tf.pad(x, [[0, 0], [cy, 0], [cx, s.kw - 1 - cx], [0, 0]]); //     zeros above, left (and right for 'down')
    return tf.add(tf.conv2d(padded as Tensor4D, filter, s.stride, 'valid'), b) as Tensor4D; // [B, H', W', out]
  }
  const [B, h, wd] = x.shape;
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, out, in]
  const out1 = w.shape[1];
  const full = tf.conv2dTranspose(x, flipped, [B, 2 * h + s.kh - 1, 2 * wd + s.kw - 1, out1], 2, 'valid'); // [B, 2h+kh−1, 2w+kw−1, out]
  const left = s.kind === 'down' ? cx : 0;
  const kept = tf.slice(full, [0, 0, left, 0], [B, out?.h ?? 2 * h, out?.w ?? 2 * wd, out1]); // [B, H, W, out]
  return tf.add(kept, b) as Tensor4D;
};

/**
 * A shifted conv of x [B, H, W, in] with compact weights w [kh·kw·in, out] and bias b [out]. For a
 * transposed conv, `out` is the finer map's size (≤ twice the coarse one: the U-net partner's).
 * inputGradient false: x is data (no gradient is computed into it).
 */
export const shiftedConv = (
  impl: ConvImpl,
  s: ShiftedConvSpec,
  x: Tensor4D,
  w: Tensor2D,
  b: Tensor1D,
  o: { inputGradient?: boolean; out?: { h: number; w: number } } = {},
): Tensor4D => (impl === 'dense' ? denseShifted(s, x, w, b, o.out) : gatherShifted(s, x, w, b, o.inputGradient ?? true, o.out));

/**
 * A 1×1 conv ("network in network"): our wasm kernel when it takes the widths (forward, weight and
 * input gradients), one matMul otherwise. [B, H, W, in] → [B, H, W, out]
 */
export const nin = (impl: ConvImpl, x: Tensor4D, w: Tensor2D, b: Tensor1D): Tensor4D => {
  const [B, h, wd, cin] = x.shape;
  const out = w.shape[1];
  const own = causalConvKernels(cin, out);
  if (impl === 'gather' && own.forward && own.weightGrad && own.inputGrad) return causalConv2d(0, 0, 1, true)(x, w, b);
  const flat = tf.reshape(x, [B * h * wd, cin]) as Tensor2D; //                       [B·H·W, in]
  return tf.reshape(denseBias(flat, w, b), [B, h, wd, out]) as Tensor4D; //           [B, H, W, out]
};


/**
 * The conv of the features `pieces` would make side by side (tf.concat over the last axis), without
 * making them: on the gather path Σ over pieces of a conv with that piece's rows of w (a concat, and
 * its gradient's slices, are copies that cost wasm more than the convolutions' arithmetic); on the
 * dense path the concat itself, then the conv (the reference the gather path is checked against).
 * w: [kh·kw·Σin, out], rows per tap in the concatenated order.
 */
export const shiftedConvOfPieces = (
  impl: ConvImpl,
  s: ShiftedConvSpec,
  pieces: readonly Tensor4D[],
  w: Tensor2D,
  b: Tensor1D,
  o: { inputGradient?: boolean; out?: { h: number; w: number } } = {},
): Tensor4D => {
  if (impl === 'dense' || pieces.length === 1) return shiftedConv(impl, s, pieces.length === 1 ? pieces[0]! : (tf.concat([...pieces], 3) as Tensor4D), w, b, o);
  const taps = s.kh * s.kw;
  const total = pieces.reduce((n, p) => n + p.shape[3], 0);
  const out = w.shape[1];
  const w3 = tf.reshape(w, [taps, total, out]); //                                   [taps, Σin, out]
  const zero = tf.zeros([out]) as Tensor1D;
  let offset = 0;
  let sum: Tensor4D | null = null;
  for (const p of pieces) {
    const f = p.shape[3];
    const wp = tf.reshape(tf.slice(w3, [0, offset, 0], [taps, f, out]), [taps * f, out]) as Tensor2D; // [taps·f, out]: this piece's rows
    const y = shiftedConv(impl, { ...s, inFeatures: f }, p, wp, sum ? zero : b, o); //                   [B, H', W', out]
    sum = sum ? (tf.add(sum, y) as Tensor4D) : y;
    offset += f;
  }
  return sum!;
};

/** A 1×1 conv of the pieces side by side, without the concat on the gather path (as shiftedConvOfPieces). */
export const ninOfPieces = (impl: ConvImpl, pieces: readonly Tensor4D[], w: Tensor2D, b: Tensor1D): Tensor4D => {
  if (impl === 'dense' || pieces.length === 1) return nin(impl, pieces.length === 1 ? pieces[0]! : (tf.concat([...pieces], 3) as Tensor4D), w, b);
  const out = w.shape[1];
  const zero = tf.zeros([out]) as Tensor1D;
  let offset = 0;
  let sum: Tensor4D | null = null;
  for (const p of pieces) {
    const f = p.shape[3];
    const y = nin(impl, p, tf.slice(w, [offset, 0], [f, out]) as Tensor2D, sum ? zero : b); // [B, H, W, out]
    sum = sum ? (tf.add(sum, y) as Tensor4D) : y;
    offset += f;
  }
  return sum!;
};

/** concat_elu of the features of `parts` side by side, as pieces: [elu(p₁), …, elu(pₙ), elu(−p₁), …, elu(−pₙ)]. */
export const concatEluPieces = (parts: readonly Tensor4D[]): Tensor4D[] => [
  ...parts.map((p) => tf.elu(p) as Tensor4D),
  ...parts.map((p) => tf.elu(tf.neg(p)) as Tensor4D),
];

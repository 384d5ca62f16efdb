// Masked convolution, two implementations over the same compact weights:
//  - 'gather': only the allowed taps — they fill a prefix of the (cy+1)×kw rectangle above and at the
//    centre, run as one causal conv2d with a custom gradient made of forward conv2d calls only
//    (trains on wasm, which lacks Conv2DBackpropFilter; no pad/slice/concat copies);
//  - 'dense':  scatter the compact weights into a kh×kw kernel and call conv2d (fast on tensorflow).
// Weights are stored compactly as [rows, out], rows = (allowed off-centre taps + centre?) × in, so a
// checkpoint does not depend on the implementation and masked-out weights do not exist at all.

import { maskTable, type MaskTable, type MaskType } from '../masks.js';
import { Rng } from '../rng.js';
import { causalConvGradKernel, causalConvInputGradKernel, causalConvKernel, causalConvKernels, causalConvPlusKernel, winogradConvGradKernel, winogradResidualRuns, winogradRuns } from '../kernels/causalConv.js';
import { tf, type NamedTensors, type Tensor1D, type Tensor2D, type Tensor4D } from '../tf.js';

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

/** A k×k masked conv spec builder for one model: every layer shares the image's channel groups. */
export const squareConv =
  (channels: number, prefix = '') =>
  (name: string, k: number, type: MaskType, inFeatures: number, outFeatures: number): MaskedConvSpec => ({
    name: `${prefix}${name}`,
    kh: k,
    kw: k,
    type,
    inFeatures,
    outFeatures,
    channels,
  });

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
export const maskedConvWeights = (s: MaskedConvSpec, params: NamedTensors): Tensor2D => {
  const w = params[`${s.name}.w`] as Tensor2D;
  const { weightMask, rows } = convLayout(s);
  return weightMask ? tf.mul(w, tf.tensor2d(weightMask, [rows, s.outFeatures])) : w;
};

/** Padding [B, H, W, C] that makes every output read only rows above and the centre row: cy above, none below, cx left, kw−1−cx right. */
const causalPadding = (cy: number, cx: number, kw: number): tf.backend_util.ExplicitPadding => [
  [0, 0],
  [cy, 0],
  [cx, kw - 1 - cx],
  [0, 0],
];

/** Zero-pad above and at the sides only, so that every tap of a kh×kw kernel reads the past. */
export const causalPad = (x: Tensor4D, kh: number, kw: number): Tensor4D =>
  tf.pad(x, causalPadding(Math.floor(kh / 2), Math.floor(kw / 2), kw) as [number, number][]);

type CausalConv = (x: Tensor4D, weights: Tensor2D, bias: Tensor1D) => Tensor4D;
const causalConvs = new Map<string, CausalConv>();

/** Σ over the rows of dy [N, out]: [out]. */
const sumRows = (dy: Tensor2D): Tensor1D => tf.sum(dy, 0);

/** The kernel flipped in space, in and out swapped: [cy+1, kw, out, in]. The flip is a reversed tap order. */
const flippedKernel = (k: Tensor4D): Tensor4D => {
  const [kh, kw, cin, out] = k.shape;
  const reversed = tf.tensor1d(Array.from({ length: kh * kw }, (_, t) => kh * kw - 1 - t), 'int32');
  const taps = tf.gather(tf.reshape(k, [kh * kw, cin * out]), reversed); //  [taps, in·out], last tap first
  return tf.transpose(tf.reshape(taps, [kh, kw, cin, out]), [0, 1, 3, 2]); // [kh, kw, out, in]
};

/** The compact weights [taps·in, out] as the [cy+1, kw, in, out] rectangle (zero where no tap is). */
const rectangleKernel = (weights: Tensor2D, cy: number, kw: number, cin: number): Tensor4D => {
  const [rows, out] = weights.shape;
  const rectRows = (cy + 1) * kw * cin;
  const filled = rows === rectRows ? weights : tf.concat([weights, tf.zeros([rectRows - rows, out])], 0); // [rect·in, out]
  return tf.reshape(filled, [cy + 1, kw, cin, out]) as Tensor4D; //                                           [cy+1, kw, in, out]
};

/**
 * The causal conv of x with compact weights [taps·in, out] — the first `taps` taps, in raster order,
 * of a [cy+1, kw] rectangle whose last row is the centre row — plus a bias: output (y, x) reads input
 * rows y−cy..y and columns x−cx..x+kw−1−cx (zeros outside).
 * On wasm it runs as our own SIMD kernels over exactly those taps (kernels/causalConv.ts): forward,
 * input gradient (the same kernel, taps negated) and weight gradient — or, for the 2×3 rectangle
 * (a 3×3 mask B, a down-shifted 2×3), Winograd F(4, 3) along the row, exactly causal
 * (src/kernels/winograd.ts), every gradient in one kernel. Elsewhere, or for widths
 * those kernels do not take, it is a conv2d over the rectangle with a gradient made of forward
 * conv2d calls only (tfjs-wasm has no Conv2DBackpropFilter and a naive Conv2DBackpropInput):
 *   dx = conv2d(dy, kernel flipped in space with in/out swapped), padded the other way;
 *   dk = conv2d(x as [in, H, W, B], dy as a filter [H, W, B, out]) — the batch is the reduction;
 *   db = ones · dy.
 * With inputGradient false, dx is returned as zeros without being computed (a layer reading data).
 */
export const causalConv2d = (cy: number, cx: number, kw: number, inputGradient = true): CausalConv => {
  const key = `${cy},${cx},${kw},${inputGradient}`;
  const hit = causalConvs.get(key);
  if (hit) return hit;
  const forwardPad = causalPadding(cy, cx, kw);
  const gradients = causalConvGradients(cy, cx, kw, inputGradient);
  const op = tf.customGrad(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ((x: Tensor4D, weights: Tensor2D, bias: Tensor1D, save: tf.GradSaveFunc) => {
      const cin = x.shape[3];
      const [rows, out] = weights.shape;
      const rect = [cy, cx, kw, rows / cin] as const;
      const own = causalConvKernels(cin, out);
      save([x, weights]);
      return {
        value: own.forward
          ? causalConvKernel(x, weights, bias, rect) // [B, H, W, out]
          : tf.fused.conv2d({ x, filter: rectangleKernel(weights, cy, kw, cin), strides: 1, pad: forwardPad, bias }),
        gradFunc: (dy: Tensor4D, saved: tf.Tensor[]) => gradients(dy, saved[0] as Tensor4D, saved[1] as Tensor2D),
      };
    }) as any,
  ) as unknown as CausalConv;
  causalConvs.set(key, op);
  return op;
};

/** causalConv2d's gradients [dx, dW, db] from dy and the saved x and weights. */
const causalConvGradients = (cy: number, cx: number, kw: number, inputGradient: boolean) => {
  const forwardPad = causalPadding(cy, cx, kw);
  const backwardPad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [0, cy],
    [kw - 1 - cx, cx],
    [0, 0],
  ];
  return (dy: Tensor4D, sx: Tensor4D, sw: Tensor2D): [Tensor4D, Tensor2D, Tensor1D] => {
    const cin = sx.shape[3];
    const [rows, out] = sw.shape;
    const rect = [cy, cx, kw, rows / cin] as const;
    const own = causalConvKernels(cin, out);
    const [b, h, w] = dy.shape;
    if (own.forward && winogradRuns(rect, cin, out)) {
      const [dx, dW, db] = winogradConvGradKernel(sx, dy, sw, rect, inputGradient); // [B, H, W, in] | null, [taps·in, out], [out]
      return [dx ?? tf.zerosLike(sx), dW, db];
    }
    const dx = !inputGradient
      ? tf.zerosLike(sx)
      : own.inputGrad
        ? causalConvInputGradKernel(dy, sw, rect) //                                    [B, H, W, in]
        : tf.conv2d(dy, flippedKernel(rectangleKernel(sw, cy, kw, cin)), 1, backwardPad); // [B, H, W, in]
    if (own.weightGrad) {
      const [dW, db] = causalConvGradKernel(sx, dy, rect); //                          [taps·in, out], [out]
      return [dx, dW, db];
    }
    const xT = tf.transpose(sx, [3, 1, 2, 0]) as Tensor4D; //                           [in, H, W, B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D; //                          [H, W, B, out]
    const dk = tf.transpose(tf.conv2d(xT, dyT, 1, forwardPad), [1, 2, 0, 3]); //       [cy+1, kw, in, out]
    const dW = tf.slice(tf.reshape(dk, [(cy + 1) * kw * cin, out]), [0, 0], [rows, out]) as Tensor2D; // [taps·in, out]
    const db = sumRows(tf.reshape(dy, [b * h * w, out]) as Tensor2D); //               [out]
    return [dx, dW, db];
  };
};

type CausalConvPlus = (x: Tensor4D, weights: Tensor2D, bias: Tensor1D, addend: Tensor4D) => Tensor4D;
const causalConvPluses = new Map<string, CausalConvPlus>();

/**
 * addend + causalConv2d(x) as one op on our direct kernels (callers check that they take the whole
 * layer and that it is not a Winograd rectangle): the forward kernel adds the addend to each
 * output row it has just written, while the row is in L1, so no Add pass runs over the map; the
 * addend's gradient is dy itself.
 */
const causalConvPlus = (cy: number, cx: number, kw: number, inputGradient: boolean): CausalConvPlus => {
  const key = `${cy},${cx},${kw},${inputGradient}`;
  const hit = causalConvPluses.get(key);
  if (hit) return hit;
  const gradients = causalConvGradients(cy, cx, kw, inputGradient);
  const op = tf.customGrad(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ((x: Tensor4D, weights: Tensor2D, bias: Tensor1D, addend: Tensor4D, save: tf.GradSaveFunc) => {
      save([x, weights]);
      return {
        value: causalConvPlusKernel(x, weights, bias, addend, [cy, cx, kw, weights.shape[0] / x.shape[3]]), // [B, H, W, out]
        gradFunc: (dy: Tensor4D, saved: tf.Tensor[]) => [...gradients(dy, saved[0] as Tensor4D, saved[1] as Tensor2D), tf.reshape(dy, dy.shape)],
      };
    }) as any,
  ) as unknown as CausalConvPlus;
  causalConvPluses.set(key, op);
  return op;
};

/**
 * x·w + bias [N, out] with a gradient that multiplies by explicit transposes (wasm's matMul with
 * transpose flags is ~10× slower). For dw the larger of x, dy is transposed and the smaller one is
 * the right operand — XNNPACK repacks its right operand on every call, and a [N, 256] repack costs
 * more than the transpose.
 */
export const denseBias: (x: Tensor2D, w: Tensor2D, bias: Tensor1D) => Tensor2D = tf.customGrad(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ((x: Tensor2D, w: Tensor2D, bias: Tensor1D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.fused.matMul({ a: x, b: w, bias }), // [N, out]
      gradFunc: (dy: Tensor2D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [Tensor2D, Tensor2D];
        const dx = tf.matMul(dy, tf.transpose(sw)); //                  [N, in]
        if (sw.shape[1] > sw.shape[0]) {
          const dyT = tf.transpose(dy); //                              [out, N]
          return [dx, tf.transpose(tf.matMul(dyT, sx)), tf.sum(dyT, 1)]; // [in, out], [out]
        }
        return [dx, tf.matMul(tf.transpose(sx), dy), sumRows(dy)]; //   [in, out], [out]
      },
    };
  }) as any,
) as unknown as (x: Tensor2D, w: Tensor2D, bias: Tensor1D) => Tensor2D;

export interface ConvOptions {
  /** False when x is data (no gradient flows into it): its gradient is not computed. Default true. */
  readonly inputGradient?: boolean;
  /**
   * False lets x's gradient take a faster transform whose float rounding reaches pixels after an
   * output's (a training step's hidden layers: residualMaskedConv). Default true: exactly causal
   * gradients, as the property laws measure dependence with.
   */
  readonly exactInputGradient?: boolean;
}

/** Whether our own kernels take a layer of these widths in all its passes (its input gradient only if wanted). */
const ownKernelsTakeLayer = (cin: number, out: number, inputGradient: boolean): boolean => {
  const own = causalConvKernels(cin, out);
  return own.forward && own.weightGrad && (own.inputGrad || !inputGradient);
};

/**
 * Tap-gather: every allowed tap lies in the rectangle of the cy rows above the centre and the centre
 * row; in raster order the compact rows are a prefix of that rectangle, so padding them with zero
 * rows (the taps right of the centre, and the centre itself under mask A with one group) gives a
 * [cy+1, kw, in, out] kernel, run as one causal conv2d. 1×1 layers are one plain matMul, unless our
 * own wasm kernels take the layer's widths (they beat the backend's matMul: one tap, no copies).
 * (For mask B 3×3 the rectangle holds 6 slots for 5 taps; no im2col copies at all.)
 */
const gatherConv = (s: MaskedConvSpec, params: NamedTensors, x: Tensor4D, options: ConvOptions = {}): Tensor4D => {
  const [b, h, w, cin] = x.shape;
  const { rows } = convLayout(s);
  const bias = params[`${s.name}.b`]! as Tensor1D;
  const weights = maskedConvWeights(s, params); // [rows, out]
  if (rows === 0) {
    // Nothing is visible (1×1 mask A, one group): the bias alone, kept connected to x and w so
    // that their gradients exist (zero), as with the dense implementation.
    const zero = tf.mul(tf.add(tf.sum(x, 3, true), tf.sum(weights)), 0); // [B, H, W, 1]
    return tf.add(zero, bias) as Tensor4D; //                               [B, H, W, out]
  }
  const cy = Math.floor(s.kh / 2);
  const cx = Math.floor(s.kw / 2);
  const inputGradient = options.inputGradient ?? true;
  if (cy === 0 && s.kw === 1 && !ownKernelsTakeLayer(cin, s.outFeatures, inputGradient)) {
    const flat = tf.reshape(x, [b * h * w, cin]) as Tensor2D; //  [B·H·W, in]
    return tf.reshape(denseBias(flat, weights, bias), [b, h, w, s.outFeatures]); // [B, H, W, out]
  }
  return causalConv2d(cy, cx, s.kw, inputGradient)(x, weights, bias); // [B, H, W, out]
};

const residualConvs = new Map<string, CausalConv>();

/**
 * The residual layer h + causal conv(relu(h)) + bias as one op on the Winograd kernels (callers check
 * winogradResidualRuns): the forward kernel reads h as relu(h) and adds h to its output; the gradient
 * kernel gives dh = dy + (h > 0) · convᵀ(dy) and the weight gradient of relu(h)'s conv. relu(h) is
 * never stored, and no ReLU, Add, Step or Multiply pass runs over the maps.
 */
const residualWinograd = (cy: number, cx: number, kw: number, exactInputGradient: boolean): CausalConv => {
  const key = `${cy},${cx},${kw},${exactInputGradient}`;
  const hit = residualConvs.get(key);
  if (hit) return hit;
  const op = tf.customGrad(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ((h: Tensor4D, weights: Tensor2D, bias: Tensor1D, save: tf.GradSaveFunc) => {
      const rect = [cy, cx, kw, weights.shape[0] / h.shape[3]] as const;
      save([h, weights]);
      return {
        value: causalConvKernel(h, weights, bias, rect, true), //                              [B, H, W, h]
        gradFunc: (dy: Tensor4D, saved: tf.Tensor[]) => {
          const [sh, sw] = saved as [Tensor4D, Tensor2D];
          const [dh, dW, db] = winogradConvGradKernel(sh, dy, sw, rect, true, true, exactInputGradient); // [B, H, W, h], [taps·h, h], [h]
          return [dh!, dW, db];
        },
      };
    }) as any,
  ) as unknown as CausalConv;
  residualConvs.set(key, op);
  return op;
};

/**
 * A residual layer: h + the masked conv of relu(h), [B, H, W, out] with out = in — PixelCNN's
 * residual stack. One fused op where our Winograd kernels take the layer (tap-gather on wasm, a 3×3
 * mask B with widths in sixteens), else relu, the conv and an add. With exactInputGradient false (a
 * training step), the fused op's gradient into h may take the 2-D transform: fewer products, and
 * float rounding that reaches pixels after an output's — harmless to training, but not what an analysis
 * of the model's dependence through gradients (the property laws) should see, so the default is exact.
 */
export const residualMaskedConv =
  (impl: ConvImpl) =>
  (s: MaskedConvSpec, params: NamedTensors, h: Tensor4D, options: Pick<ConvOptions, 'exactInputGradient'> = {}): Tensor4D => {
    const cy = Math.floor(s.kh / 2);
    const cx = Math.floor(s.kw / 2);
    const rect = [cy, cx, s.kw, convLayout(s).taps.length] as const;
    if (impl === 'gather' && s.inFeatures === s.outFeatures && winogradResidualRuns(rect, s.inFeatures, s.outFeatures))
      return residualWinograd(cy, cx, s.kw, options.exactInputGradient ?? true)(h, maskedConvWeights(s, params), params[`${s.name}.b`]! as Tensor1D); // [B, H, W, h]
    return tf.add(h, maskedConv(impl)(s, params, tf.relu(h))); //                                            [B, H, W, h]
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
  const compact = tf.reshape(maskedConvWeights(s, params), [taps.length, s.inFeatures * s.outFeatures]);
  const p = tf.tensor2d(placement(s), [s.kh * s.kw, taps.length]);
  return tf.reshape(tf.matMul(p, compact as Tensor2D), [s.kh, s.kw, s.inFeatures, s.outFeatures]);
};

const denseConv = (s: MaskedConvSpec, params: NamedTensors, x: Tensor4D): Tensor4D => {
  const cy = Math.floor(s.kh / 2);
  const cx = Math.floor(s.kw / 2);
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [cy, s.kh - 1 - cy],
    [cx, s.kw - 1 - cx],
    [0, 0],
  ];
  const y = tf.conv2d(x, denseKernel(s, params), 1, pad); // [B, H, W, out] (rows below the centre are zero)
  return tf.add(y, params[`${s.name}.b`]!);
};

export const maskedConv =
  (impl: ConvImpl) =>
  (s: MaskedConvSpec, params: NamedTensors, x: Tensor4D, options?: ConvOptions): Tensor4D =>
    impl === 'dense' ? denseConv(s, params, x) : gatherConv(s, params, x, options);

/**
 * addend + the masked conv of x, [B, H, W, out]: a residual sum such as the PixelRNN's map + the
 * output conv of its states. One op where our direct wasm kernels take the whole layer (tap-gather,
 * widths in sixteens, not a Winograd rectangle) — the forward kernel adds the addend row by row —
 * else the conv and an add.
 */
export const maskedConvPlus =
  (impl: ConvImpl) =>
  (s: MaskedConvSpec, params: NamedTensors, x: Tensor4D, addend: Tensor4D, options: ConvOptions = {}): Tensor4D => {
    const { rows } = convLayout(s);
    const cin = x.shape[3];
    const cy = Math.floor(s.kh / 2);
    const cx = Math.floor(s.kw / 2);
    const inputGradient = options.inputGradient ?? true;
    const fused = impl === 'gather' && rows > 0 && ownKernelsTakeLayer(cin, s.outFeatures, inputGradient) && !winogradRuns([cy, cx, s.kw, rows / cin], cin, s.outFeatures);
    if (!fused) return tf.add(addend, maskedConv(impl)(s, params, x, options)) as Tensor4D;
    return causalConvPlus(cy, cx, s.kw, inputGradient)(x, maskedConvWeights(s, params), params[`${s.name}.b`]! as Tensor1D, addend); // [B, H, W, out]
  };

/** Best implementation for the running backend: conv2d where it trains fast, tap-gather elsewhere. */
export const defaultConvImpl = (): ConvImpl => (tf.getBackend() === 'tensorflow' ? 'dense' : 'gather');

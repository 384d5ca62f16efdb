// A causal (masked) convolution as tfjs kernels of our own, for the wasm backend: kernels/causalConv.ts
// (AssemblyScript, wasm SIMD) compiled to causalConv.wasm beside this file by `npm run build:kernels`.
// The layer's weights are compact — [taps·in, out], only the taps that exist (5 of a 3×3 mask B's
// 9) — and so is the work here: no zero rows, no rectangle, no im2col or transposed copies.
//   - forward:        y = bias + Σ_t x shifted by tap t · w_t;
//   - input gradient: the same kernel with the taps negated and each w_t transposed;
//   - weight and bias gradient: Σ over pixels of (x shifted by tap t)ᵀ · dy, and Σ dy.
// tfjs-wasm runs conv2d through XNNPACK, which has no Conv2DBackpropFilter; these beat its conv2d
// and matMul on the same work (bench/kernels-ab.ts times a training step both ways).
//
// Taps are (ry, rx) offsets from an output pixel to the input pixel it reads; for a layer of
// maskedConv.ts they are the first `taps` positions, in raster order, of the (cy+1)×kw rectangle
// whose last row is the centre row (rectangleTaps).

import { tf } from '../tf.js';
import { heapOutput, layout, lazyModule, type WasmHeap } from './module.js';

export const causalConvKernelName = 'PixelstreamsCausalConv';
export const causalConvGradKernelName = 'PixelstreamsCausalConvGrad';

const kernelModule = lazyModule<'causalConvWeightGrad' | 'causalConvForward'>('causalConv.wasm');

export type Tap = readonly [number, number];
type Shape4 = readonly [number, number, number, number];

/** The (ry, rx) source offsets of the first `count` taps of a (cy+1)×kw rectangle whose centre is (cy, cx). */
export const rectangleTaps = (cy: number, cx: number, kw: number, count: number): [number, number][] =>
  Array.from({ length: count }, (_, t) => [Math.floor(t / kw) - cy, (t % kw) - cx]);

/** Shapes the weight-gradient kernel takes: outputs in sixteens (any number of input channels). */
export const weightGradSupports = (_inC: number, outC: number): boolean => outC % 16 === 0;
/** Shapes the forward kernel takes: outputs in sixteens (its input gradient: inputs in sixteens). */
export const forwardSupports = (outC: number): boolean => outC % 16 === 0;

const checkSizes = (what: string, x: Float32Array, [b, h, w, c]: Shape4, g: Float32Array, gc: number) => {
  if (x.length !== b * h * w * c || g.length !== b * h * w * gc) throw new Error(`${what}: sizes do not match the shape`);
};

/**
 * dW [taps·C, O] and db [O] (row-major f32) — views into the kernel's memory, valid until its next
 * call: copy them out.
 */
export const causalConvWeightGrad = (x: Float32Array, dy: Float32Array, shape: Shape4, outC: number, taps: readonly Tap[]) => {
  const [b, h, w, c] = shape;
  if (!weightGradSupports(c, outC)) throw new Error(`causalConvWeightGrad: needs out % 16 = 0, got ${outC}`);
  checkSizes('causalConvWeightGrad', x, shape, dy, outC);
  const k = kernelModule();
  const [xAt, gAt, tapsAt, dkAt, dbAt] = layout(k, [x.byteLength, dy.byteLength, taps.length * 8, taps.length * c * outC * 4, outC * 4]) as [number, number, number, number, number];
  const buffer = k.memory.buffer;
  new Float32Array(buffer, xAt, x.length).set(x);
  new Float32Array(buffer, gAt, dy.length).set(dy);
  new Int32Array(buffer, tapsAt, taps.length * 2).set(taps.flat());
  k.causalConvWeightGrad(xAt, gAt, tapsAt, taps.length, dkAt, dbAt, b, h, w, c, outC);
  return { dW: new Float32Array(buffer, dkAt, taps.length * c * outC), db: new Float32Array(buffer, dbAt, outC) };
};

/**
 * y [B, H, W, O] = bias + Σ_t x shifted by tap t · weights[t] (weights [taps, C, O] row-major; zeros
 * outside the image) — a view into the kernel's memory, valid until its next call: copy it out.
 */
export const causalConvForward = (x: Float32Array, shape: Shape4, weights: Float32Array, bias: Float32Array | null, outC: number, taps: readonly Tap[]) => {
  const [b, h, w, c] = shape;
  if (!forwardSupports(outC)) throw new Error(`causalConvForward: needs out % 16 = 0, got ${outC}`);
  checkSizes('causalConvForward', x, shape, new Float32Array(0), 0);
  if (weights.length !== taps.length * c * outC) throw new Error('causalConvForward: weights do not match the taps and channels');
  const padTop = Math.max(0, ...taps.map(([ry]) => -ry));
  const padBottom = Math.max(0, ...taps.map(([ry]) => ry));
  const padLeft = Math.max(0, ...taps.map(([, rx]) => -rx));
  const padRight = Math.max(0, ...taps.map(([, rx]) => rx)) + 1; // + a spare column: pixels go in pairs
  const [hp, wp] = [h + padTop + padBottom, w + padLeft + padRight];
  const k = kernelModule();
  const [xAt, wAt, biasAt, tapsAt, yAt] = layout(k, [b * hp * wp * c * 4, weights.byteLength, outC * 4, taps.length * 4, b * h * w * outC * 4]) as [number, number, number, number, number];
  const buffer = k.memory.buffer;
  const padded = new Float32Array(buffer, xAt, b * hp * wp * c);
  padded.fill(0);
  for (let n = 0; n < b; n++)
    for (let row = 0; row < h; row++) {
      const from = (n * h + row) * w * c;
      padded.set(x.subarray(from, from + w * c), ((n * hp + row + padTop) * wp + padLeft) * c);
    }
  new Float32Array(buffer, wAt, weights.length).set(weights);
  if (bias) new Float32Array(buffer, biasAt, outC).set(bias);
  new Int32Array(buffer, tapsAt, taps.length).set(taps.map(([ry, rx]) => (ry * wp + rx) * c * 4));
  k.causalConvForward(xAt, wAt, biasAt, bias ? 1 : 0, tapsAt, taps.length, yAt, b, h, w, hp, wp, padTop, padLeft, c, outC);
  return new Float32Array(buffer, yAt, b * h * w * outC);
};

/** Per tap, [C, O] → [O, C]: the weights of the input gradient. */
export const transposeTaps = (weights: Float32Array, taps: number, inC: number, outC: number): Float32Array => {
  const t = new Float32Array(weights.length);
  for (let k = 0; k < taps; k++)
    for (let i = 0; i < inC; i++)
      for (let o = 0; o < outC; o++) t[(k * outC + o) * inC + i] = weights[(k * inC + i) * outC + o]!;
  return t;
};

/** dx [B, H, W, C] of y = causal conv(x) given dy [B, H, W, O]: the forward kernel, taps negated, weights transposed. */
export const causalConvInputGrad = (dy: Float32Array, shape: Shape4, weights: Float32Array, inC: number, taps: readonly Tap[]) => {
  const [b, h, w, outC] = shape;
  return causalConvForward(dy, [b, h, w, outC], transposeTaps(weights, taps.length, inC, outC), null, inC, taps.map(([ry, rx]) => [-ry, -rx] as const));
};

// ---- as tfjs kernels on the wasm backend ----

interface ConvAttrs {
  readonly cy: number;
  readonly cx: number;
  readonly kw: number;
  readonly taps: number;
  /** 'forward': inputs x, w [taps·in, out], bias; 'input-gradient': inputs dy, w → dx. */
  readonly mode: 'forward' | 'input-gradient';
}

let registered = false;

/** Registers the kernels on the wasm backend (idempotent); backend.ts does this when wasm is chosen. */
export const registerCausalConvKernels = (): void => {
  if (registered || tf.getKernel(causalConvKernelName, 'wasm')) return;
  registered = true;
  tf.registerKernel({
    kernelName: causalConvKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap;
      const x = inputs['x'] as tf.TensorInfo;
      const w = inputs['w'] as tf.TensorInfo;
      const { cy, cx, kw, taps, mode } = attrs as unknown as ConvAttrs;
      const [b, h, wd, c] = x.shape as [number, number, number, number];
      const rect = rectangleTaps(cy, cx, kw, taps);
      const weights = heap.typedArrayFromHeap(w);
      if (mode === 'input-gradient') {
        const inC = w.shape[0]! / taps;
        return heapOutput(heap, [b, h, wd, inC], causalConvInputGrad(heap.typedArrayFromHeap(x), [b, h, wd, c], weights, inC, rect));
      }
      const outC = w.shape[1]!;
      const bias = heap.typedArrayFromHeap(inputs['bias'] as tf.TensorInfo);
      return heapOutput(heap, [b, h, wd, outC], causalConvForward(heap.typedArrayFromHeap(x), [b, h, wd, c], weights, bias, outC, rect));
    },
  });
  tf.registerKernel({
    kernelName: causalConvGradKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap;
      const x = inputs['x'] as tf.TensorInfo;
      const dy = inputs['dy'] as tf.TensorInfo;
      const { cy, cx, kw, taps } = attrs as unknown as ConvAttrs;
      const [b, h, w, c] = x.shape as [number, number, number, number];
      const outC = dy.shape[3]!;
      const { dW, db } = causalConvWeightGrad(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(dy), [b, h, w, c], outC, rectangleTaps(cy, cx, kw, taps));
      return [heapOutput(heap, [taps * c, outC], dW), heapOutput(heap, [outC], db)];
    },
  });
};

/** Our kernels on (registered) or off — the tfjs conv2d / matMul paths — for A/B benchmarks. */
export const setCausalConvKernels = (on: boolean): void => {
  if (on) return registerCausalConvKernels();
  for (const name of [causalConvKernelName, causalConvGradKernelName])
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  registered = false;
};

const onWasm = (): boolean => tf.getBackend() === 'wasm' && tf.getKernel(causalConvKernelName, 'wasm') !== undefined;

/** Which of our kernels run here for a layer with these widths. */
export const causalConvKernels = (inC: number, outC: number) => ({
  forward: onWasm() && forwardSupports(outC),
  inputGrad: onWasm() && forwardSupports(inC),
  weightGrad: onWasm() && weightGradSupports(inC, outC),
});

type Rect = readonly [cy: number, cx: number, kw: number, taps: number];

/** y [B, H, W, O] through the registered forward kernel. */
export const causalConvKernel = (x: tf.Tensor4D, w: tf.Tensor2D, bias: tf.Tensor1D, [cy, cx, kw, taps]: Rect): tf.Tensor4D =>
  tf.engine().runKernel(causalConvKernelName, { x, w, bias }, { cy, cx, kw, taps, mode: 'forward' } as unknown as tf.NamedAttrMap) as tf.Tensor4D;

/** dx [B, H, W, in] through the registered kernel. */
export const causalConvInputGradKernel = (dy: tf.Tensor4D, w: tf.Tensor2D, [cy, cx, kw, taps]: Rect): tf.Tensor4D =>
  tf.engine().runKernel(causalConvKernelName, { x: dy, w }, { cy, cx, kw, taps, mode: 'input-gradient' } as unknown as tf.NamedAttrMap) as tf.Tensor4D;

/** dW [taps·in, out] and db [out] through the registered kernel. */
export const causalConvGradKernel = (x: tf.Tensor4D, dy: tf.Tensor4D, [cy, cx, kw, taps]: Rect): [tf.Tensor2D, tf.Tensor1D] =>
  tf.engine().runKernel(causalConvGradKernelName, { x, dy }, { cy, cx, kw, taps } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor2D, tf.Tensor1D];

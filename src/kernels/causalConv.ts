// A causal (masked) convolution as tfjs kernels of our own, for the wasm backend: kernels/causalConv.ts
// (AssemblyScript, wasm SIMD) compiled to causalConv.wasm beside this file by `npm run build:kernels`.
// The layer's weights are compact — [taps·in, out], only the taps that exist (5 of a 3×3 mask B's
// 9) — and so is the work here: no zero rows, no rectangle, no im2col or transposed copies; the
// kernels read and write the tensors where the backend keeps them (module.ts: onHeap).
//   - forward:        y = bias + Σ_t x shifted by tap t · w_t;
//   - input gradient: the same kernel with the taps negated and each w_t transposed;
//   - weight and bias gradient: Σ over pixels of (x shifted by tap t)ᵀ · dy, and Σ dy.
// A 3×3 mask-B or 2×3 down-shifted layer with widths in sixteens runs as Winograd F(4, 3) along
// the row instead (winograd.ts): its forward kernel, and one kernel for all its gradients — and, as
// a PixelCNN residual layer h + conv(relu(h)), with the ReLU, the residual sum and their gradients
// inside those two kernels (no relu(h) map, no separate ReLU, Add, Step or Multiply passes).
// tfjs-wasm runs conv2d through XNNPACK, which has no Conv2DBackpropFilter; these beat its conv2d
// and matMul on the same work (bench/kernels-ab.ts times a training step both ways).
//
// Taps are (ry, rx) offsets from an output pixel to the input pixel it reads; for a layer of
// maskedConv.ts they are the first `taps` positions, in raster order, of the (cy+1)×kw rectangle
// whose last row is the centre row (rectangleTaps).

import { tf } from '../tf.js';
import { heapOutput, onHeap, ownModule, pointer, type Arena, type KernelModule, type WasmHeap } from './module.js';
import { transposeTaps } from './taps.js';
import { ownRowWeightGradInPairs, ownRowLayerWeightGradAt, planeGradsSupported, residualSupported, winogradForwardAt, winogradInputGradAt, winogradPlaneGradsAt, winogradSupports, winogradWeightGradAt, type OwnRowDirect, type WinogradFunctions } from './winograd.js';

export const causalConvKernelName = 'PixelstreamsCausalConv';
export const causalConvGradKernelName = 'PixelstreamsCausalConvGrad';
export const winogradConvGradKernelName = 'PixelstreamsWinogradConvGrad';

type Functions = 'causalConvWeightGrad' | 'causalConvForward' | WinogradFunctions;
const own = ownModule<Functions>('causalConv.wasm');

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

// ---- the calls, on pointers into an arena (the backend's heap, or the module's own memory) ----

/** dW [taps·C, O] at dk and db [O] at db, from x and g [B, H, W, ·] at their pointers. */
const weightGradAt = (k: KernelModule<Functions>, arena: Arena, x: number, g: number, [b, h, w, c]: Shape4, outC: number, taps: readonly Tap[], dk: number, db: number) => {
  const tapsAt = arena.alloc(taps.length * 8);
  arena.i32().set(taps.flat(), tapsAt / 4);
  k.causalConvWeightGrad(x, g, tapsAt, taps.length, dk, db, b, h, w, c, outC);
};

/** y [B, H, W, O] at y = bias + Σ_t x shifted by tap t · weights[t], weights [taps, C, O] at w; bias 0: none; + addend [B, H, W, O] unless 0. */
const forwardAt = (k: KernelModule<Functions>, arena: Arena, x: number, [b, h, w, c]: Shape4, weights: number, bias: number, outC: number, taps: readonly Tap[], y: number, addend = 0) => {
  const padTop = Math.max(0, ...taps.map(([ry]) => -ry));
  const padBottom = Math.max(0, ...taps.map(([ry]) => ry));
  const padLeft = Math.max(0, ...taps.map(([, rx]) => -rx));
  const padRight = Math.max(0, ...taps.map(([, rx]) => rx)) + 1; // + a spare column: pixels go in pairs
  // the kernel keeps the source rows of one output row zero-padded in a ring of lines
  const ring = arena.alloc((padTop + padBottom + 1) * (padLeft + w + padRight) * c * 4);
  const tapsAt = arena.alloc(taps.length * 8);
  const tapPointers = arena.alloc(taps.length * 4);
  arena.i32().set(taps.flat(), tapsAt / 4);
  k.causalConvForward(x, weights, bias, bias ? 1 : 0, addend, tapsAt, taps.length, y, b, h, w, padTop, padBottom, padLeft, padRight, c, outC, ring, tapPointers);
};

/** dx [B, H, W, C] at dx of y = causal conv(x), given dy [B, H, W, O] at dy: the forward kernel, taps negated, weights transposed. */
const inputGradAt = (k: KernelModule<Functions>, arena: Arena, dy: number, [b, h, w, outC]: Shape4, weights: number, inC: number, taps: readonly Tap[], dx: number) => {
  const transposed = arena.alloc(taps.length * inC * outC * 4);
  const f32 = arena.f32();
  transposeTaps(f32, weights / 4, f32, transposed / 4, taps.length, inC, outC);
  forwardAt(k, arena, dy, [b, h, w, outC], transposed, 0, inC, taps.map(([ry, rx]) => [-ry, -rx] as const), dx);
};

/**
 * The direct kernels on a mask-B layer's own row (taps left and centre), for the Winograd path
 * (winograd.ts: OwnRowDirect). `map` is x [B, H, W, C] for the forward pass and dy [B, H, W, O]
 * for the input gradient.
 */
const ownRowDirect = (k: KernelModule<Functions>, arena: Arena, map: number, [b, h, w, c]: Shape4, outC: number): OwnRowDirect => {
  const ownRow: Tap[] = [
    [0, -1],
    [0, 0],
  ];
  return {
    forward: (weights, bias, y) => forwardAt(k, arena, map, [b, h, w, c], weights, bias, outC, ownRow, y),
    inputGrad: (weights, dx) => inputGradAt(k, arena, map, [b, h, w, outC], weights, c, ownRow, dx),
  };
};

// ---- on plain arrays: copied into the module's own memory, results copied out ----

/** dW [taps·C, O] and db [O] (row-major f32). */
export const causalConvWeightGrad = (x: Float32Array, dy: Float32Array, shape: Shape4, outC: number, taps: readonly Tap[]) => {
  const [, , , c] = shape;
  if (!weightGradSupports(c, outC)) throw new Error(`causalConvWeightGrad: needs out % 16 = 0, got ${outC}`);
  checkSizes('causalConvWeightGrad', x, shape, dy, outC);
  const { module, arena } = own();
  const [xAt, gAt, dkAt, dbAt] = [x.byteLength, dy.byteLength, taps.length * c * outC * 4, outC * 4].map(arena.alloc) as [number, number, number, number];
  const f32 = arena.f32();
  f32.set(x, xAt / 4);
  f32.set(dy, gAt / 4);
  weightGradAt(module, arena, xAt, gAt, shape, outC, taps, dkAt, dbAt);
  const out = arena.f32();
  return { dW: out.slice(dkAt / 4, dkAt / 4 + taps.length * c * outC), db: out.slice(dbAt / 4, dbAt / 4 + outC) };
};

/** y [B, H, W, O] = bias + Σ_t x shifted by tap t · weights[t] (weights [taps, C, O] row-major; zeros outside the image). */
export const causalConvForward = (x: Float32Array, shape: Shape4, weights: Float32Array, bias: Float32Array | null, outC: number, taps: readonly Tap[]) => {
  const [b, h, w, c] = shape;
  if (!forwardSupports(outC)) throw new Error(`causalConvForward: needs out % 16 = 0, got ${outC}`);
  checkSizes('causalConvForward', x, shape, new Float32Array(0), 0);
  if (weights.length !== taps.length * c * outC) throw new Error('causalConvForward: weights do not match the taps and channels');
  const { module, arena } = own();
  const [xAt, wAt, biasAt, yAt] = [x.byteLength, weights.byteLength, outC * 4, b * h * w * outC * 4].map(arena.alloc) as [number, number, number, number];
  const f32 = arena.f32();
  f32.set(x, xAt / 4);
  f32.set(weights, wAt / 4);
  if (bias) f32.set(bias, biasAt / 4);
  forwardAt(module, arena, xAt, shape, wAt, bias ? biasAt : 0, outC, taps, yAt);
  return arena.f32().slice(yAt / 4, yAt / 4 + b * h * w * outC);
};

/** dx [B, H, W, C] of y = causal conv(x) given dy [B, H, W, O] and the layer's weights [taps, C, O]. */
export const causalConvInputGrad = (dy: Float32Array, shape: Shape4, weights: Float32Array, inC: number, taps: readonly Tap[]) => {
  const [b, h, w, outC] = shape;
  if (!forwardSupports(inC)) throw new Error(`causalConvInputGrad: needs in % 16 = 0, got ${inC}`);
  checkSizes('causalConvInputGrad', dy, shape, new Float32Array(0), 0);
  const { module, arena } = own();
  const [gAt, wAt, dxAt] = [dy.byteLength, weights.byteLength, b * h * w * inC * 4].map(arena.alloc) as [number, number, number];
  const f32 = arena.f32();
  f32.set(dy, gAt / 4);
  f32.set(weights, wAt / 4);
  inputGradAt(module, arena, gAt, shape, wAt, inC, taps, dxAt);
  return arena.f32().slice(dxAt / 4, dxAt / 4 + b * h * w * inC);
};

// ---- as tfjs kernels on the wasm backend ----

interface ConvAttrs {
  readonly cy: number;
  readonly cx: number;
  readonly kw: number;
  readonly taps: number;
  /** 'forward': inputs x, w [taps·in, out], bias; 'input-gradient': inputs dy, w → dx. */
  readonly mode: 'forward' | 'input-gradient';
  /** A Winograd layer as a residual layer x + conv(relu(x)) (forward, and its gradient kernel). */
  readonly residual?: boolean;
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
      const { cy, cx, kw, taps, mode, residual } = attrs as unknown as ConvAttrs;
      const [b, h, wd, c] = x.shape as [number, number, number, number];
      const rect = rectangleTaps(cy, cx, kw, taps);
      const inC = mode === 'input-gradient' ? w.shape[0]! / taps : c;
      const out = heapOutput(heap, [b, h, wd, mode === 'input-gradient' ? inC : w.shape[1]!], 'causalConv.wasm');
      onHeap<Functions>('causalConv.wasm', heap, (module, arena) => {
        if (mode === 'input-gradient') inputGradAt(module, arena, pointer(heap, x), [b, h, wd, c], pointer(heap, w), inC, rect, pointer(heap, out));
        else if (winogradSupports([cy, cx, kw, taps], c, w.shape[1]!)) {
          const direct = ownRowDirect(module, arena, pointer(heap, x), [b, h, wd, c], w.shape[1]!);
          winogradForwardAt(module, arena, pointer(heap, x), [b, h, wd, c], pointer(heap, w), pointer(heap, inputs['bias'] as tf.TensorInfo), w.shape[1]!, taps, pointer(heap, out), direct, residual === true);
        } else if (residual) throw new Error(`${causalConvKernelName}: a residual layer runs only on the Winograd path`);
        else {
          const addend = inputs['addend'] as tf.TensorInfo | undefined;
          forwardAt(module, arena, pointer(heap, x), [b, h, wd, c], pointer(heap, w), pointer(heap, inputs['bias'] as tf.TensorInfo), w.shape[1]!, rect, pointer(heap, out), addend ? pointer(heap, addend) : 0);
        }
      });
      return out;
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
      const dW = heapOutput(heap, [taps * c, outC], 'causalConv.wasm');
      const db = heapOutput(heap, [outC], 'causalConv.wasm');
      onHeap<Functions>('causalConv.wasm', heap, (module, arena) => {
        if (ownRowWeightGradInPairs([cy, cx, kw, taps], c, outC)) ownRowLayerWeightGradAt(module, arena, pointer(heap, x), pointer(heap, dy), [b, h, w, c], outC, pointer(heap, dW), pointer(heap, db));
        else weightGradAt(module, arena, pointer(heap, x), pointer(heap, dy), [b, h, w, c], outC, rectangleTaps(cy, cx, kw, taps), pointer(heap, dW), pointer(heap, db));
      });
      return [dW, db];
    },
  });
  tf.registerKernel({
    kernelName: winogradConvGradKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap;
      const x = inputs['x'] as tf.TensorInfo;
      const dy = inputs['dy'] as tf.TensorInfo;
      const w = inputs['w'] as tf.TensorInfo;
      const { taps, inputGradient, residual, exactInputGradient } = attrs as unknown as ConvAttrs & { inputGradient: boolean; exactInputGradient: boolean };
      const [b, h, wd, c] = x.shape as [number, number, number, number];
      const outC = dy.shape[3]!;
      const dx = inputGradient ? heapOutput(heap, [b, h, wd, c], 'causalConv.wasm') : null;
      const dW = heapOutput(heap, [taps * c, outC], 'causalConv.wasm');
      const db = heapOutput(heap, [outC], 'causalConv.wasm');
      onHeap<Functions>('causalConv.wasm', heap, (module, arena) => {
        const shape = [b, h, wd, c] as const;
        if (dx && !exactInputGradient && planeGradsSupported(h))
          return winogradPlaneGradsAt(module, arena, pointer(heap, x), pointer(heap, dy), shape, pointer(heap, w), outC, taps, pointer(heap, dx), pointer(heap, dW), pointer(heap, db), residual === true, residual ? pointer(heap, x) : 0);
        const direct = ownRowDirect(module, arena, pointer(heap, dy), shape, outC);
        if (dx) winogradInputGradAt(module, arena, pointer(heap, dy), shape, pointer(heap, w), outC, taps, pointer(heap, dx), direct, residual ? pointer(heap, x) : 0);
        winogradWeightGradAt(module, arena, pointer(heap, x), pointer(heap, dy), shape, outC, taps, pointer(heap, dW), pointer(heap, db), residual === true);
      });
      return dx ? [dx, dW, db] : [dW, db];
    },
  });
};

/** Our kernels on (registered) or off — the tfjs conv2d / matMul paths — for A/B benchmarks. */
export const setCausalConvKernels = (on: boolean): void => {
  if (on) return registerCausalConvKernels();
  for (const name of [causalConvKernelName, causalConvGradKernelName, winogradConvGradKernelName])
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  registered = false;
};

const onWasm = (): boolean => tf.getBackend() === 'wasm' && tf.getKernel(causalConvKernelName, 'wasm') !== undefined;

/** Whether our own kernels run here: the wasm backend with them registered (never in a browser page, which does not register them). */
export const ownKernelsRun = (): boolean => onWasm();

/** Which of our kernels run here for a layer with these widths. */
export const causalConvKernels = (inC: number, outC: number) => ({
  forward: onWasm() && forwardSupports(outC),
  inputGrad: onWasm() && forwardSupports(inC),
  weightGrad: onWasm() && weightGradSupports(inC, outC),
});

type Rect = readonly [cy: number, cx: number, kw: number, taps: number];

/** y [B, H, W, O] through the registered forward kernel; with `residual` (winogradResidualRuns), x + bias + conv(relu(x)). */
export const causalConvKernel = (x: tf.Tensor4D, w: tf.Tensor2D, bias: tf.Tensor1D, [cy, cx, kw, taps]: Rect, residual = false): tf.Tensor4D =>
  tf.engine().runKernel(causalConvKernelName, { x, w, bias }, { cy, cx, kw, taps, mode: 'forward', residual } as unknown as tf.NamedAttrMap) as tf.Tensor4D;

/** addend + bias + conv(x) [B, H, W, O] through the registered forward kernel, on the direct kernels (a Winograd rectangle takes no addend). */
export const causalConvPlusKernel = (x: tf.Tensor4D, w: tf.Tensor2D, bias: tf.Tensor1D, addend: tf.Tensor4D, [cy, cx, kw, taps]: Rect): tf.Tensor4D => {
  if (winogradSupports([cy, cx, kw, taps], x.shape[3], w.shape[1]!)) throw new Error('causalConvPlusKernel: a Winograd rectangle takes no addend');
  return tf.engine().runKernel(causalConvKernelName, { x, w, bias, addend }, { cy, cx, kw, taps, mode: 'forward', residual: false } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
};

/** dx [B, H, W, in] through the registered kernel. */
export const causalConvInputGradKernel = (dy: tf.Tensor4D, w: tf.Tensor2D, [cy, cx, kw, taps]: Rect): tf.Tensor4D =>
  tf.engine().runKernel(causalConvKernelName, { x: dy, w }, { cy, cx, kw, taps, mode: 'input-gradient' } as unknown as tf.NamedAttrMap) as tf.Tensor4D;

/** Whether a layer with this rectangle and widths runs as Winograd F(4, 3) here (winograd.ts): forward, and all gradients in one winogradConvGradKernel call. */
export const winogradRuns = (rect: Rect, inC: number, outC: number): boolean => onWasm() && winogradSupports(rect, inC, outC);

/** Whether a layer runs here as a Winograd residual layer x + conv(relu(x)), forward and gradients in one kernel each (winograd.ts residualSupported). */
export const winogradResidualRuns = (rect: Rect, inC: number, outC: number): boolean => winogradRuns(rect, inC, outC) && residualSupported(rect[3], inC, outC);

/**
 * dx [B, H, W, in] (null when inputGradient is false), dW [taps·in, out] and db [out] of a Winograd
 * layer through the registered kernel; with `residual`, of the residual layer x + conv(relu(x)).
 * exactInputGradient false lets dx take the 2-D transform (winograd.ts winogradPlaneGradsAt: fewer
 * products, rounding that reaches later pixels) — for a training step's hidden layers only.
 */
export const winogradConvGradKernel = (
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  w: tf.Tensor2D,
  [cy, cx, kw, taps]: Rect,
  inputGradient: boolean,
  residual = false,
  exactInputGradient = true,
): [tf.Tensor4D | null, tf.Tensor2D, tf.Tensor1D] => {
  const out = tf.engine().runKernel(winogradConvGradKernelName, { x, dy, w }, { cy, cx, kw, taps, inputGradient, residual, exactInputGradient } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  return inputGradient ? (out as [tf.Tensor4D, tf.Tensor2D, tf.Tensor1D]) : [null, out[0] as tf.Tensor2D, out[1] as tf.Tensor1D];
};

/** dW [taps·in, out] and db [out] through the registered kernel. */
export const causalConvGradKernel = (x: tf.Tensor4D, dy: tf.Tensor4D, [cy, cx, kw, taps]: Rect): [tf.Tensor2D, tf.Tensor1D] =>
  tf.engine().runKernel(causalConvGradKernelName, { x, dy }, { cy, cx, kw, taps } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor2D, tf.Tensor1D];

// The K-level softmax cross-entropy of the categorical head as one kernel of our own on the wasm
// backend (kernels/crossEntropy.ts, AssemblyScript, wasm SIMD): per row of K logits one pass for the
// max, one for exp and the sum, one for the gradient e/s − onehot — where the tfjs version runs
// Softmax, two Max, a Gather, Log, Sub, Cast and, backward, OneHot and Sub over [N, K].
// likelihood.ts calls fusedNllPerImage first and falls back to its own ops when it returns null
// (another backend, K not a multiple of 4, or the kernel switched off).
// A training step of a PixelCNN goes further (fusedHeadNll): its last 1×1 layer, this cross-entropy
// and their gradients in one kernel over tiles of pixels, the logits never written out.

import { tf, type Tensor, type Tensor1D, type Tensor4D, type Tensor5D } from '../tf.js';
import { heapOutput, onHeap, ownModule, pointer, type Arena, type KernelModule, type WasmHeap } from './module.js';

export const crossEntropyKernelName = 'PixelstreamsSoftmaxCrossEntropy';
export const headCrossEntropyKernelName = 'PixelstreamsHeadCrossEntropy';

type Functions = 'softmaxCrossEntropy' | 'headCrossEntropy';
const own = ownModule<Functions>('crossEntropy.wasm');

export const crossEntropySupports = (levels: number): boolean => levels % 4 === 0;

const callAt = (k: KernelModule<Functions>, _arena: Arena, z: number, target: number, rows: number, levels: number, shift: number, sum: number, grad: number) =>
  k.softmaxCrossEntropy(z, target, rows, levels, shift, sum, grad);

/**
 * On plain arrays: shift [N] = max z − z_x, sum [N] = Σ exp(z − max z), grad [N, K] = softmax(z) − onehot(x),
 * so that −log softmax(z)[x] = shift + log sum.
 */
export const softmaxCrossEntropy = (z: Float32Array, target: Int32Array, levels: number) => {
  const rows = target.length;
  if (!crossEntropySupports(levels)) throw new Error(`softmaxCrossEntropy: needs levels % 4 = 0, got ${levels}`);
  if (z.length !== rows * levels) throw new Error(`softmaxCrossEntropy: logits have ${z.length} values, expected ${rows} rows × ${levels}`);
  for (const t of target) if (!(t >= 0 && t < levels)) throw new Error(`softmaxCrossEntropy: target ${t} outside 0..${levels - 1}`);
  const { module, arena } = own();
  const [zAt, tAt, shiftAt, sumAt, gradAt] = [z.byteLength, target.byteLength, rows * 4, rows * 4, z.byteLength].map(arena.alloc) as [number, number, number, number, number];
  arena.f32().set(z, zAt / 4);
  arena.i32().set(target, tAt / 4);
  callAt(module, arena, zAt, tAt, rows, levels, shiftAt, sumAt, gradAt);
  const f32 = arena.f32();
  return { shift: f32.slice(shiftAt / 4, shiftAt / 4 + rows), sum: f32.slice(sumAt / 4, sumAt / 4 + rows), grad: f32.slice(gradAt / 4, gradAt / 4 + rows * levels) };
};

let registered = false;

/** Pixels a tile of headCrossEntropy: 16 × 256 logits = 16 KiB, in L1 beside W's rows (8 and 32 were no faster). */
const HEAD_TILE = 16;

/**
 * Throws unless every target at `at` (n int32s on the heap) is a level in 0..levels−1: the kernels
 * index a row by it and would read and write outside it (the data loaders check levels; this guards
 * whatever else calls the kernels).
 */
const checkTargets = (heap: WasmHeap, at: number, n: number, levels: number): void => {
  const targets = new Int32Array(heap.wasm.HEAPU8.buffer, at, n);
  for (let i = 0; i < n; i++) {
    const t = targets[i]!;
    if (!(t >= 0 && t < levels)) throw new Error(`softmax cross-entropy: target ${i} is ${t}, expected a level in 0..${levels - 1}`);
  }
};

interface HeadAttrs {
  readonly channels: number;
  readonly levels: number;
  readonly imagePixels: number;
}

/** Registers the kernels on the wasm backend (idempotent); backend.ts does this when wasm is chosen. */
export const registerCrossEntropyKernel = (): void => {
  if (registered || tf.getKernel(crossEntropyKernelName, 'wasm')) return;
  registered = true;
  tf.registerKernel({
    kernelName: headCrossEntropyKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap;
      const [x, w, bias, target] = ['x', 'w', 'bias', 'target'].map((k) => inputs[k] as tf.TensorInfo) as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
      const { channels, levels, imagePixels } = attrs as unknown as HeadAttrs;
      const [pixels, inC] = x.shape as [number, number];
      const ck = channels * levels;
      const batch = pixels / imagePixels;
      checkTargets(heap, pointer(heap, target), pixels * channels, levels);
      const outputs = [[pixels * channels], [pixels * channels], [pixels, inC], [batch, inC, ck], [batch, ck]].map((shape) => heapOutput(heap, shape, 'crossEntropy.wasm'));
      const [shift, sum, dx, dw, db] = outputs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
      onHeap<Functions>('crossEntropy.wasm', heap, (module, arena) => {
        const wT = arena.alloc(inC * ck * 4);
        const tile = arena.alloc(HEAD_TILE * ck * 4);
        const f32 = arena.f32();
        const [from, to] = [pointer(heap, w) / 4, wT / 4];
        for (let c = 0; c < inC; c++) for (let o = 0; o < ck; o++) f32[to + o * inC + c] = f32[from + c * ck + o]!;
        module.headCrossEntropy(pointer(heap, x), pointer(heap, w), wT, pointer(heap, bias), pointer(heap, target), batch, imagePixels, inC, channels, levels, pointer(heap, shift), pointer(heap, sum), pointer(heap, dx), pointer(heap, dw), pointer(heap, db), tile, HEAD_TILE);
      });
      return outputs;
    },
  });
  tf.registerKernel({
    kernelName: crossEntropyKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const heap = backend as unknown as WasmHeap;
      const z = inputs['z'] as tf.TensorInfo;
      const target = inputs['target'] as tf.TensorInfo;
      const [rows, levels] = z.shape as [number, number];
      checkTargets(heap, pointer(heap, target), rows, levels);
      const shift = heapOutput(heap, [rows], 'crossEntropy.wasm');
      const sum = heapOutput(heap, [rows], 'crossEntropy.wasm');
      const grad = heapOutput(heap, [rows, levels], 'crossEntropy.wasm');
      onHeap<Functions>('crossEntropy.wasm', heap, (module, arena) =>
        callAt(module, arena, pointer(heap, z), pointer(heap, target), rows, levels, pointer(heap, shift), pointer(heap, sum), pointer(heap, grad)),
      );
      return [shift, sum, grad];
    },
  });
};

/** The kernel on (registered) or off — likelihood.ts's tfjs ops — for tests and A/B benchmarks. */
export const setCrossEntropyKernel = (on: boolean): void => {
  if (on) return registerCrossEntropyKernel();
  for (const name of [crossEntropyKernelName, headCrossEntropyKernelName]) if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  registered = false;
};

let headFused = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['PIXELSTREAMS_HEAD'] !== 'unfused';
/** The training step's fused head (fusedHeadNll) on (default) or off — the 1×1 conv, then the cross-entropy kernel — for A/B benchmarks and tests. PIXELSTREAMS_HEAD=unfused turns it off at load. */
export const setHeadFusion = (on: boolean): void => {
  headFused = on;
};

/** The most the per-image weight gradients [B, in, C·K] of fusedHeadNll may take; larger heads or batches run the layer and the cross-entropy apart. */
export const HEAD_GRADIENT_BYTES = 32 * 2 ** 20;

/**
 * Whether fusedHeadNll runs here for a batch of `batch` images and a head from `inC` features to
 * `channels` blocks of `levels` logits: widths the kernel takes, and per-image weight gradients
 * within HEAD_GRADIENT_BYTES (1 MiB for the reference PixelCNN at batch 16; the paper's CIFAR head,
 * 1024 → 768, would need 3 MiB an image).
 */
export const fusedHeadSupports = (batch: number, inC: number, channels: number, levels: number): boolean =>
  headFused &&
  tf.getBackend() === 'wasm' &&
  tf.getKernel(headCrossEntropyKernelName, 'wasm') !== undefined &&
  levels % 4 === 0 &&
  (channels * levels) % 16 === 0 &&
  inC % 16 === 0 &&
  batch * inC * channels * levels * 4 <= HEAD_GRADIENT_BYTES;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fusedHead: (x: Tensor4D, w: tf.Tensor2D, bias: Tensor1D, levels: Tensor4D) => Tensor1D = tf.customGrad(((x: Tensor4D, w: tf.Tensor2D, bias: Tensor1D, levels: Tensor4D, save: tf.GradSaveFunc) => {
  const [b, h, wd, inC] = x.shape;
  const channels = levels.shape[3];
  const target = tf.cast(tf.reshape(levels, [b * h * wd * channels]), 'int32'); //   [N·C]
  const flat = tf.reshape(x, [b * h * wd, inC]); //                                   [N, in]
  const attrs = { channels, levels: w.shape[1] / channels, imagePixels: h * wd };
  const [shift, sum, dx, dw, db] = tf.engine().runKernel(headCrossEntropyKernelName, { x: flat, w, bias, target }, attrs as unknown as tf.NamedAttrMap) as unknown as [Tensor1D, Tensor1D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D];
  const nll = tf.sum(tf.reshape(tf.add(shift, tf.log(sum)), [b, h * wd * channels]), 1); // [B]
  save([dx, dw, db]);
  return {
    value: nll,
    gradFunc: (dy: Tensor1D, saved: Tensor[]) => {
      const [sdx, sdw, sdb] = saved as [tf.Tensor2D, tf.Tensor3D, tf.Tensor2D];
      const perImage = tf.reshape(dy, [b, 1]);
      return [
        tf.reshape(tf.mul(tf.reshape(sdx, [b, h * wd * inC]), perImage), x.shape), //  [B, H, W, in]
        tf.sum(tf.mul(sdw, tf.reshape(dy, [b, 1, 1])), 0), //                          [in, C·K]
        tf.sum(tf.mul(sdb, perImage), 0), //                                           [C·K]
        tf.zerosLike(levels),
      ];
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
}) as any) as unknown as (x: Tensor4D, w: tf.Tensor2D, bias: Tensor1D, levels: Tensor4D) => Tensor1D;

/**
 * −log p(x) per image in nats [B] of a categorical head — a 1×1 layer from x [B, H, W, in] with
 * weights [in, C·K] and bias [C·K], softmax over each channel's K logits — at levels [B, H, W, C], in
 * one kernel (kernels/crossEntropy.ts headCrossEntropy) that also computes every gradient, in tiles
 * whose logits stay in cache: for a training step (its gradients are computed whether asked for or
 * not). Null where it does not run (fusedHeadSupports).
 */
export const fusedHeadNll = (x: Tensor4D, w: tf.Tensor2D, bias: Tensor1D, levels: Tensor4D): Tensor1D | null =>
  fusedHeadSupports(x.shape[0], x.shape[3], levels.shape[3], w.shape[1] / levels.shape[3]) ? fusedHead(x, w, bias, levels) : null;

const available = (levels: number): boolean =>
  tf.getBackend() === 'wasm' && tf.getKernel(crossEntropyKernelName, 'wasm') !== undefined && crossEntropySupports(levels);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fused: (logits: Tensor5D, x: Tensor4D) => Tensor1D = tf.customGrad(((logits: Tensor5D, x: Tensor4D, save: tf.GradSaveFunc) => {
  const [b, h, w, c, levels] = logits.shape;
  const n = b * h * w * c;
  const z = tf.reshape(logits, [n, levels]); //                                              [N, K]
  const target = tf.cast(tf.reshape(x, [n]), 'int32'); //                                    [N]
  const [shift, sum, grad] = tf.engine().runKernel(crossEntropyKernelName, { z, target }, {}) as unknown as [Tensor1D, Tensor1D, tf.Tensor2D]; // [N], [N], [N, K]
  const nll = tf.sum(tf.reshape(tf.add(shift, tf.log(sum)), [b, h * w * c]), 1); //       [B]
  save([grad]);
  return {
    value: nll,
    gradFunc: (dy: Tensor1D, saved: Tensor[]) => {
      const [g] = saved as [tf.Tensor2D];
      const scaled = tf.mul(tf.reshape(g, [b, h * w * c, levels]), tf.reshape(dy, [b, 1, 1])); // [B, H·W·C, K]
      return [tf.reshape(scaled, logits.shape), tf.zerosLike(x)];
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
}) as any) as unknown as (logits: Tensor5D, x: Tensor4D) => Tensor1D;

/**
 * −log p(x) per image in nats [B] from logits [B, H, W, C, K] and levels x [B, H, W, C], through the
 * kernel — or null where it does not run (then the caller computes it its own way).
 */
export const fusedNllPerImage = (logits: Tensor5D, x: Tensor4D): Tensor1D | null => (available(logits.shape[4]) ? fused(logits, x) : null);

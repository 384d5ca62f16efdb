// The weight and bias gradient of a causal (masked) convolution as a tfjs kernel of our own, for the
// wasm backend: kernels/causalConvGrad.ts (AssemblyScript, wasm SIMD) compiled to causalConvGrad.wasm
// beside this file by `npm run build:kernels`. tfjs-wasm has no Conv2DBackpropFilter; the stand-in
// made of tfjs kernels (a conv2d with dy as the filter) runs at ~11 GFLOP/s over the whole kernel
// rectangle, where this one computes only the taps that exist (5 of 6 for a 3×3 mask B) at ~15–18.
//
// Inputs x [B, H, W, C] and dy [B, H, W, O]; attrs: the rectangle (cy rows above the centre, kernel
// width kw, centre column cx) and how many of its taps, in raster order, the layer has. Outputs
// dW [taps·C, O] (compact rows, the layout of maskedConv.ts) and db [O].

import { readFileSync } from 'node:fs';
import { tf } from '../tf.js';

export const causalConvGradKernelName = 'PixelstreamsCausalConvGrad';

// WebAssembly's types live in the DOM lib, which this Node project does not load.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const { WebAssembly: wasmApi } = globalThis as unknown as {
  WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: unknown } };
};

interface KernelExports {
  readonly memory: WasmMemory;
  causalConvWeightGrad(
    x: number, g: number, taps: number, tapCount: number, dk: number, db: number,
    batch: number, height: number, width: number, inC: number, outC: number,
  ): void;
}

let instance: KernelExports | null = null;

const kernelModule = (): KernelExports => {
  if (instance) return instance;
  const bytes = readFileSync(new URL('./causalConvGrad.wasm', import.meta.url));
  instance = new wasmApi.Instance(new wasmApi.Module(bytes), {}).exports as unknown as KernelExports;
  return instance;
};

/** Shapes the kernel takes: channels in pairs, outputs in sixteens. */
export const causalConvGradSupports = (inC: number, outC: number): boolean => inC % 2 === 0 && outC % 16 === 0;

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/** Grows the module's memory to hold `bytes` from address 0. */
const reserve = (memory: WasmMemory, bytes: number): void => {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
};

/**
 * dW and db on plain arrays (row-major f32): the kernel itself, usable from any backend.
 * taps: (ry, rx) offsets of each tap's source pixel from the output pixel.
 */
export const causalConvWeightGrad = (
  x: Float32Array,
  dy: Float32Array,
  shape: readonly [number, number, number, number], // [B, H, W, C]
  outC: number,
  taps: readonly (readonly [number, number])[],
): { dW: Float32Array; db: Float32Array } => {
  const [b, h, w, c] = shape;
  if (!causalConvGradSupports(c, outC)) throw new Error(`causalConvWeightGrad: needs in % 2 = 0 and out % 16 = 0, got ${c}, ${outC}`);
  if (x.length !== b * h * w * c || dy.length !== b * h * w * outC) throw new Error('causalConvWeightGrad: sizes do not match the shape');
  const k = kernelModule();
  const xAt = 0;
  const gAt = align(xAt + x.byteLength);
  const tapsAt = align(gAt + dy.byteLength);
  const dkAt = align(tapsAt + taps.length * 8);
  const dbAt = align(dkAt + taps.length * c * outC * 4);
  reserve(k.memory, dbAt + outC * 4);
  const buffer = k.memory.buffer;
  new Float32Array(buffer, xAt, x.length).set(x);
  new Float32Array(buffer, gAt, dy.length).set(dy);
  new Int32Array(buffer, tapsAt, taps.length * 2).set(taps.flat());
  k.causalConvWeightGrad(xAt, gAt, tapsAt, taps.length, dkAt, dbAt, b, h, w, c, outC);
  return {
    dW: new Float32Array(buffer, dkAt, taps.length * c * outC).slice(),
    db: new Float32Array(buffer, dbAt, outC).slice(),
  };
};

/** The (ry, rx) source offsets of the first `count` taps of a (cy+1)×kw rectangle whose centre is (cy, cx). */
export const rectangleTaps = (cy: number, cx: number, kw: number, count: number): [number, number][] =>
  Array.from({ length: count }, (_, t) => [Math.floor(t / kw) - cy, (t % kw) - cx]);

interface WasmBackendLike {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

interface GradAttrs {
  readonly cy: number;
  readonly cx: number;
  readonly kw: number;
  readonly taps: number;
}

let registered = false;

/** Registers the kernel on the wasm backend (idempotent); backend.ts does this when wasm is chosen. */
export const registerCausalConvGrad = (): void => {
  if (registered || tf.getKernel(causalConvGradKernelName, 'wasm')) return;
  registered = true;
  tf.registerKernel({
    kernelName: causalConvGradKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmBackendLike;
      const x = inputs['x'] as tf.TensorInfo;
      const dy = inputs['dy'] as tf.TensorInfo;
      const { cy, cx, kw, taps } = attrs as unknown as GradAttrs;
      const [b, h, w, c] = x.shape as [number, number, number, number];
      const outC = dy.shape[3]!;
      // The heap views are read before makeOutput, which may grow (and so detach) the heap.
      const { dW, db } = causalConvWeightGrad(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(dy), [b, h, w, c], outC, rectangleTaps(cy, cx, kw, taps));
      const dWInfo = heap.makeOutput([taps * c, outC], 'float32');
      heap.typedArrayFromHeap(dWInfo).set(dW);
      const dbInfo = heap.makeOutput([outC], 'float32');
      heap.typedArrayFromHeap(dbInfo).set(db);
      return [dWInfo, dbInfo];
    },
  });
};

/** Whether this backend runs the kernel for these channel counts. */
export const causalConvGradAvailable = (inC: number, outC: number): boolean =>
  tf.getBackend() === 'wasm' && causalConvGradSupports(inC, outC) && tf.getKernel(causalConvGradKernelName, 'wasm') !== undefined;

/** dW [taps·C, O] and db [O] of a causal conv through the registered kernel. */
export const causalConvGrad = (x: tf.Tensor4D, dy: tf.Tensor4D, cy: number, cx: number, kw: number, taps: number): [tf.Tensor2D, tf.Tensor1D] =>
  tf.engine().runKernel(causalConvGradKernelName, { x, dy }, { cy, cx, kw, taps } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor2D, tf.Tensor1D];

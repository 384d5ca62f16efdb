// The LSTM recurrence of the Row LSTM and the Diagonal BiLSTM as tfjs kernels of our own on the wasm
// backend (kernels/lstmScan.ts, AssemblyScript, wasm SIMD): the whole scan — every step's
// state-to-state product, gates and cell — in one call forward and one backward, where the tfjs
// version costs ~20 small ops per step (per row, or per skewed column) and their gradients.
//
// A scan runs over positions (b, t, l): t the step, l the place along the line one step updates
// (ScanGeometry: image rows, or the columns of the skewed map — the skew is index arithmetic in the
// kernel, so no skewed copy is made). The state-to-state weights [k·h, 4h] read the previous step's
// h at l + offsets[k] (zero off the line; h0 before the first step).

import { tf, type Tensor, type Tensor2D } from '../tf.js';
import { heapOutput, onHeap, ownModule, pointer, type Arena, type KernelModule, type WasmHeap } from './module.js';

export const lstmScanKernelName = 'PixelstreamsLstmScan';
export const lstmScanGradKernelName = 'PixelstreamsLstmScanGrad';

type Functions = 'lstmScanForward' | 'lstmScanBackward' | 'rowScanBackwardF23';
const own = ownModule<Functions>('lstmScan.wasm');

export type ScanMode = 'rows' | 'diagonal' | 'mirrored-diagonal';
const modeCode = { rows: 0, diagonal: 1, 'mirrored-diagonal': 2 } as const;

export interface ScanGeometry {
  readonly batch: number;
  /** rows: t is an image row, l a column. diagonal: t a column of the skewed map (row r shifted right
   *  by r), l = r. mirrored-diagonal: row r shifted right by H−1−r. */
  readonly mode: ScanMode;
  readonly height: number;
  readonly width: number;
  readonly offsets: readonly number[]; // along the line, one per tap of the state-to-state weights
  readonly reverse: boolean;
  readonly hidden: number;
}

const steps = (g: ScanGeometry) => (g.mode === 'rows' ? g.height : g.width + g.height - 1);
const line = (g: ScanGeometry) => (g.mode === 'rows' ? g.width : g.height);
const pixels = (g: ScanGeometry) => g.batch * g.height * g.width;
const scanPositions = (g: ScanGeometry) => g.batch * steps(g) * line(g);

export const lstmScanSupports = (hidden: number): boolean => hidden % 4 === 0;

const args = (g: ScanGeometry) => [g.batch, steps(g), line(g), g.width, modeCode[g.mode]] as const;

// ---- the calls, on pointers into an arena (the backend's heap, or the module's own memory) ----

const offsetsAt = (arena: Arena, g: ScanGeometry): number => {
  const at = arena.alloc(g.offsets.length * 4);
  arena.i32().set(g.offsets, at / 4);
  return at;
};

// ---- the Row LSTM's backward scan: state-to-state products through Winograd F(2, 3) along the row above ----
// (kernels/lstmScan.ts rowScanBackwardF23: four products per two positions, not six, for dh and for
// dW; each output still reads exactly its three taps, so the receptive field is unchanged)

let rowWinograd = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['PIXELSTREAMS_ROW_SCAN'] !== 'direct'; // (no process in a browser page)

/** The Row LSTM backward scan's state-to-state products through F(2, 3) (on, the default) or direct (off, for A/B benchmarks). */
export const setRowScanWinograd = (on: boolean): void => {
  rowWinograd = on;
};

/** Whether a scan's backward pass takes the F(2, 3) kernel: rows, forward, taps at −1, 0, +1. */
export const rowScanTakesWinograd = (g: ScanGeometry): boolean =>
  rowWinograd && g.mode === 'rows' && !g.reverse && g.offsets.length === 3 && g.offsets.every((o, k) => o === k - 1);

/** Images per block of the F(2, 3) kernel: about 16 tiles, whose transforms stay in L1. */
const imagesPerBlock = (g: ScanGeometry) => Math.max(1, Math.min(g.batch, Math.floor(16 / Math.ceil(g.width / 2))));

/** U = G·W for F(2, 3), (W0, (W0 + W1 + W2)/2, (W0 − W1 + W2)/2, W2), each point transposed: ut [4][4h][h]. */
const rowScanWeights = (f32: Float32Array, w: number, ut: number, h: number) => {
  const block = h * 4 * h;
  for (let e = 0; e < block; e++) {
    const [w0, w1, w2] = [f32[w / 4 + e]!, f32[w / 4 + block + e]!, f32[w / 4 + 2 * block + e]!];
    const [i, c] = [Math.floor(e / (4 * h)), e % (4 * h)];
    [w0, (w0 + w1 + w2) / 2, (w0 - w1 + w2) / 2, w2].forEach((value, p) => (f32[ut / 4 + p * block + c * h + i] = value));
  }
};

/** states [B·H·W, h] at states, tape [scan positions, 7h] at tape, from pre [B·H·W, 4h], w [k·h, 4h], h0, c0 [h]. */
const forwardAt = (k: KernelModule<Functions>, arena: Arena, pre: number, w: number, h0: number, c0: number, states: number, tape: number, g: ScanGeometry) => {
  const gates = arena.alloc(2 * 4 * g.hidden * 4); // two positions at a time
  const offsets = offsetsAt(arena, g);
  k.lstmScanForward(pre, w, h0, c0, states, tape, gates, ...args(g), offsets, g.offsets.length, g.reverse ? 1 : 0, g.hidden);
};

/** dPre [B·H·W, 4h], dW [k·h, 4h], dh0 and dc0 [h] at their pointers, from dStates [B·H·W, h], the tape, w, h0, c0. */
const backwardAt = (
  k: KernelModule<Functions>, arena: Arena, dStates: number, tape: number, w: number, h0: number, c0: number,
  dPre: number, dW: number, dh0: number, dc0: number, g: ScanGeometry,
) => {
  const h = g.hidden;
  const kh = g.offsets.length * h;
  const lanes = g.batch * line(g);
  const [rec, recNext, dc, dPreStep] = [lanes * h * 4, lanes * h * 4, lanes * h * 4, lanes * 4 * h * 4].map(arena.alloc) as [number, number, number, number];
  if (rowScanTakesWinograd(g)) {
    const rows = imagesPerBlock(g) * Math.ceil(g.width / 2);
    const [ut, du, v, dm, dv] = [4 * h * 4 * h * 4, 4 * h * 4 * h * 4, 4 * rows * h * 4, 4 * rows * 4 * h * 4, 4 * rows * h * 4].map(arena.alloc) as [number, number, number, number, number];
    rowScanWeights(arena.f32(), w, ut, h);
    k.rowScanBackwardF23(dStates, tape, ut, h0, c0, dPre, dW, dh0, dc0, du, v, dm, dv, rec, recNext, dc, dPreStep, imagesPerBlock(g), g.batch, g.height, g.width, h);
    return;
  }
  const wT = arena.alloc(kh * 4 * h * 4);
  const offsets = offsetsAt(arena, g);
  const f32 = arena.f32(); // W [k·h, 4h] → wT [4h, k·h]
  for (let r = 0; r < kh; r++) for (let c = 0; c < 4 * h; c++) f32[wT / 4 + c * kh + r] = f32[w / 4 + r * 4 * h + c]!;
  k.lstmScanBackward(dStates, tape, wT, h0, c0, dPre, dW, dh0, dc0, rec, recNext, dc, dPreStep, ...args(g), offsets, g.offsets.length, g.reverse ? 1 : 0, h);
};

// ---- on plain arrays: copied into the module's own memory, results copied out ----

/** states [B·H·W, h] and tape [scan positions, 7h]. */
export const lstmScanForward = (pre: Float32Array, w: Float32Array, h0: Float32Array, c0: Float32Array, g: ScanGeometry) => {
  const h = g.hidden;
  const n = pixels(g);
  if (!lstmScanSupports(h)) throw new Error(`lstmScan: needs hidden % 4 = 0, got ${h}`);
  if (pre.length !== n * 4 * h || w.length !== g.offsets.length * h * 4 * h || h0.length !== h || c0.length !== h)
    throw new Error('lstmScan: sizes do not match the geometry');
  const { module, arena } = own();
  const [preAt, wAt, h0At, c0At, statesAt, tapeAt] = [pre.byteLength, w.byteLength, h * 4, h * 4, n * h * 4, scanPositions(g) * 7 * h * 4].map(arena.alloc) as [number, number, number, number, number, number];
  const f32 = arena.f32();
  [[pre, preAt], [w, wAt], [h0, h0At], [c0, c0At]].forEach(([v, at]) => f32.set(v as Float32Array, (at as number) / 4));
  forwardAt(module, arena, preAt, wAt, h0At, c0At, statesAt, tapeAt, g);
  const out = arena.f32();
  return { states: out.slice(statesAt / 4, statesAt / 4 + n * h), tape: out.slice(tapeAt / 4, tapeAt / 4 + scanPositions(g) * 7 * h) };
};

/** dPre [B·H·W, 4h], dW [k·h, 4h], dh0 [h], dc0 [h]. */
export const lstmScanBackward = (dStates: Float32Array, tape: Float32Array, w: Float32Array, h0: Float32Array, c0: Float32Array, g: ScanGeometry) => {
  const h = g.hidden;
  const n = pixels(g);
  const kh = g.offsets.length * h;
  if (dStates.length !== n * h || tape.length !== scanPositions(g) * 7 * h || w.length !== kh * 4 * h)
    throw new Error('lstmScan gradient: sizes do not match the geometry');
  const { module, arena } = own();
  const [dsAt, tapeAt, wAt, h0At, c0At, dPreAt, dWAt, dh0At, dc0At] = [dStates.byteLength, tape.byteLength, w.byteLength, h * 4, h * 4, n * 4 * h * 4, w.byteLength, h * 4, h * 4].map(arena.alloc) as number[] as [number, number, number, number, number, number, number, number, number];
  const f32 = arena.f32();
  [[dStates, dsAt], [tape, tapeAt], [w, wAt], [h0, h0At], [c0, c0At]].forEach(([v, at]) => f32.set(v as Float32Array, (at as number) / 4));
  backwardAt(module, arena, dsAt, tapeAt, wAt, h0At, c0At, dPreAt, dWAt, dh0At, dc0At, g);
  const out = arena.f32();
  const read = (at: number, size: number) => out.slice(at / 4, at / 4 + size);
  return { dPre: read(dPreAt, n * 4 * h), dW: read(dWAt, kh * 4 * h), dh0: read(dh0At, h), dc0: read(dc0At, h) };
};

// ---- as tfjs kernels on the wasm backend ----

type GeometryAttrs = Omit<ScanGeometry, 'offsets' | 'reverse'> & { readonly offsets: number[]; readonly reverse: number };
const toAttrs = (g: ScanGeometry): tf.NamedAttrMap => ({ ...g, offsets: [...g.offsets], reverse: g.reverse ? 1 : 0 }) as unknown as tf.NamedAttrMap;
const fromAttrs = (a: GeometryAttrs): ScanGeometry => ({ ...a, reverse: a.reverse === 1 });

let registered = false;

/** Registers the kernels on the wasm backend (idempotent); backend.ts does this when wasm is chosen. */
export const registerLstmScanKernels = (): void => {
  if (registered || tf.getKernel(lstmScanKernelName, 'wasm')) return;
  registered = true;
  tf.registerKernel({
    kernelName: lstmScanKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap;
      const g = fromAttrs(attrs as unknown as GeometryAttrs);
      const at = (name: string) => pointer(heap, inputs[name] as tf.TensorInfo);
      const states = heapOutput(heap, [pixels(g), g.hidden], 'lstmScan.wasm');
      const tape = heapOutput(heap, [scanPositions(g), 7 * g.hidden], 'lstmScan.wasm');
      onHeap<Functions>('lstmScan.wasm', heap, (module, arena) => {
        forwardAt(module, arena, at('pre'), at('w'), at('h0'), at('c0'), pointer(heap, states), pointer(heap, tape), g);
      });
      return [states, tape];
    },
  });
  tf.registerKernel({
    kernelName: lstmScanGradKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap;
      const g = fromAttrs(attrs as unknown as GeometryAttrs);
      const at = (name: string) => pointer(heap, inputs[name] as tf.TensorInfo);
      const h = g.hidden;
      const outs = [[pixels(g), 4 * h], [g.offsets.length * h, 4 * h], [h], [h]].map((shape) => heapOutput(heap, shape, 'lstmScan.wasm'));
      const [dPre, dW, dh0, dc0] = outs.map((t) => pointer(heap, t)) as [number, number, number, number];
      onHeap<Functions>('lstmScan.wasm', heap, (module, arena) => {
        backwardAt(module, arena, at('dStates'), at('tape'), at('w'), at('h0'), at('c0'), dPre, dW, dh0, dc0, g);
      });
      return outs;
    },
  });
};

/** Our scan kernels on (registered) or off — the tfjs step loop — for A/B benchmarks. */
export const setLstmScanKernels = (on: boolean): void => {
  if (on) return registerLstmScanKernels();
  for (const name of [lstmScanKernelName, lstmScanGradKernelName]) if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  registered = false;
};

/** Whether the scan runs as our kernel here. */
export const lstmScanAvailable = (hidden: number): boolean =>
  tf.getBackend() === 'wasm' && lstmScanSupports(hidden) && tf.getKernel(lstmScanKernelName, 'wasm') !== undefined;

type Scan = (pre: Tensor, w: Tensor2D, h0: Tensor, c0: Tensor) => Tensor;

/** The scan as a differentiable op: pre [B, H, W, 4h] (any shape with those values), w [k·h, 4h], h0, c0 [h] → states [B·H·W, h]. */
export const lstmScan = (g: ScanGeometry): Scan =>
  tf.customGrad(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ((pre: Tensor, w: Tensor2D, h0: Tensor, c0: Tensor, save: tf.GradSaveFunc) => {
      const [states, tape] = tf.engine().runKernel(lstmScanKernelName, { pre, w, h0, c0 }, toAttrs(g)) as unknown as [Tensor, Tensor];
      save([tape, w, h0, c0]);
      return {
        value: states, // [B·H·W, h]
        gradFunc: (dStates: Tensor, saved: Tensor[]) => {
          const [tape2, w2, h02, c02] = saved as [Tensor, Tensor, Tensor, Tensor];
          const [dPre, dW, dh0, dc0] = tf.engine().runKernel(
            lstmScanGradKernelName,
            { dStates, tape: tape2, w: w2, h0: h02, c0: c02 },
            toAttrs(g),
          ) as unknown as [Tensor, Tensor, Tensor, Tensor];
          return [tf.reshape(dPre, pre.shape), dW, dh0, dc0];
        },
      };
    }) as any,
  ) as unknown as Scan;

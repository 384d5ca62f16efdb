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
import { heapOutput, layout, lazyModule, type WasmHeap } from './module.js';

export const lstmScanKernelName = 'PixelstreamsLstmScan';
export const lstmScanGradKernelName = 'PixelstreamsLstmScanGrad';

const kernelModule = lazyModule<'lstmScanForward' | 'lstmScanBackward'>('lstmScan.wasm');

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

/** states [B·H·W, h] and tape [scan positions, 7h] — views into the kernel's memory: copy them out. */
export const lstmScanForward = (pre: Float32Array, w: Float32Array, h0: Float32Array, c0: Float32Array, g: ScanGeometry) => {
  const h = g.hidden;
  const n = pixels(g);
  if (!lstmScanSupports(h)) throw new Error(`lstmScan: needs hidden % 4 = 0, got ${h}`);
  if (pre.length !== n * 4 * h || w.length !== g.offsets.length * h * 4 * h || h0.length !== h || c0.length !== h)
    throw new Error('lstmScan: sizes do not match the geometry');
  const k = kernelModule();
  const [preAt, wAt, h0At, c0At, statesAt, tapeAt, gatesAt, offsetsAt] = layout(k, [
    pre.byteLength, w.byteLength, h * 4, h * 4, n * h * 4, scanPositions(g) * 7 * h * 4, 4 * h * 4, g.offsets.length * 4,
  ]) as number[] as [number, number, number, number, number, number, number, number];
  const buffer = k.memory.buffer;
  new Float32Array(buffer, preAt, pre.length).set(pre);
  new Float32Array(buffer, wAt, w.length).set(w);
  new Float32Array(buffer, h0At, h).set(h0);
  new Float32Array(buffer, c0At, h).set(c0);
  new Int32Array(buffer, offsetsAt, g.offsets.length).set(g.offsets);
  k.lstmScanForward(preAt, wAt, h0At, c0At, statesAt, tapeAt, gatesAt, ...args(g), offsetsAt, g.offsets.length, g.reverse ? 1 : 0, h);
  return { states: new Float32Array(buffer, statesAt, n * h), tape: new Float32Array(buffer, tapeAt, scanPositions(g) * 7 * h) };
};

/** W [k·h, 4h] → [4h, k·h]. */
const transpose = (w: Float32Array, rows: number, cols: number): Float32Array => {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
};

/** dPre [B·H·W, 4h], dW [k·h, 4h], dh0 [h], dc0 [h] — views into the kernel's memory: copy them out. */
export const lstmScanBackward = (dStates: Float32Array, tape: Float32Array, w: Float32Array, h0: Float32Array, c0: Float32Array, g: ScanGeometry) => {
  const h = g.hidden;
  const n = pixels(g);
  const kh = g.offsets.length * h;
  if (dStates.length !== n * h || tape.length !== scanPositions(g) * 7 * h || w.length !== kh * 4 * h)
    throw new Error('lstmScan gradient: sizes do not match the geometry');
  const k = kernelModule();
  const lanes = g.batch * line(g);
  const [dsAt, tapeAt, wTAt, h0At, c0At, dPreAt, dWAt, dh0At, dc0At, recAt, recNextAt, dcAt, dPreStepAt, offsetsAt] = layout(k, [
    dStates.byteLength, tape.byteLength, w.byteLength, h * 4, h * 4,
    n * 4 * h * 4, w.byteLength, h * 4, h * 4, lanes * h * 4, lanes * h * 4, lanes * h * 4, lanes * 4 * h * 4, g.offsets.length * 4,
  ]) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const buffer = k.memory.buffer;
  new Float32Array(buffer, dsAt, dStates.length).set(dStates);
  new Float32Array(buffer, tapeAt, tape.length).set(tape);
  new Float32Array(buffer, wTAt, w.length).set(transpose(w, kh, 4 * h));
  new Float32Array(buffer, h0At, h).set(h0);
  new Float32Array(buffer, c0At, h).set(c0);
  new Int32Array(buffer, offsetsAt, g.offsets.length).set(g.offsets);
  k.lstmScanBackward(dsAt, tapeAt, wTAt, h0At, c0At, dPreAt, dWAt, dh0At, dc0At, recAt, recNextAt, dcAt, dPreStepAt,
    ...args(g), offsetsAt, g.offsets.length, g.reverse ? 1 : 0, h);
  return {
    dPre: new Float32Array(buffer, dPreAt, n * 4 * h),
    dW: new Float32Array(buffer, dWAt, kh * 4 * h),
    dh0: new Float32Array(buffer, dh0At, h),
    dc0: new Float32Array(buffer, dc0At, h),
  };
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
      const read = (name: string) => heap.typedArrayFromHeap(inputs[name] as tf.TensorInfo);
      const { states, tape } = lstmScanForward(read('pre'), read('w'), read('h0'), read('c0'), g);
      return [heapOutput(heap, [pixels(g), g.hidden], states), heapOutput(heap, [scanPositions(g), 7 * g.hidden], tape)];
    },
  });
  tf.registerKernel({
    kernelName: lstmScanGradKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap;
      const g = fromAttrs(attrs as unknown as GeometryAttrs);
      const read = (name: string) => heap.typedArrayFromHeap(inputs[name] as tf.TensorInfo);
      const r = lstmScanBackward(read('dStates'), read('tape'), read('w'), read('h0'), read('c0'), g);
      const h = g.hidden;
      return [
        heapOutput(heap, [pixels(g), 4 * h], r.dPre),
        heapOutput(heap, [g.offsets.length * h, 4 * h], r.dW),
        heapOutput(heap, [h], r.dh0),
        heapOutput(heap, [h], r.dc0),
      ];
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

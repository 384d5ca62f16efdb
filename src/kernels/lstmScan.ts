// The LSTM recurrence of the Row LSTM and the Diagonal BiLSTM as tfjs kernels of our own on the wasm
// backend (kernels/lstmScan.ts, AssemblyScript, wasm SIMD): the whole scan — every step's
// state-to-state product, gates and cell — in one call forward and one backward, where the tfjs
// version costs ~20 small ops per step (per row, or per skewed column) and their gradients.
//
// A scan runs over positions (b, t, l) of a map [B, …, 4h]: t the step, l the place along the line
// one step updates; index b·sB + t·sT + l·sL (ScanGeometry). The state-to-state weights [k·h, 4h]
// read the previous step's h at l + offsets[k] (zero off the line; h0 before the first step).

import { tf, type Tensor, type Tensor2D } from '../tf.js';
import { heapOutput, layout, lazyModule, type WasmHeap } from './module.js';

export const lstmScanKernelName = 'PixelstreamsLstmScan';
export const lstmScanGradKernelName = 'PixelstreamsLstmScanGrad';

const kernelModule = lazyModule<'lstmScanForward' | 'lstmScanBackward'>('lstmScan.wasm');

export interface ScanGeometry {
  readonly batch: number;
  readonly steps: number;
  readonly line: number;
  readonly strides: readonly [number, number, number]; // sB, sT, sL in positions
  readonly offsets: readonly number[]; // along the line, one per tap of the state-to-state weights
  readonly reverse: boolean;
  readonly hidden: number;
}

const positions = (g: ScanGeometry) => g.batch * g.steps * g.line;

export const lstmScanSupports = (hidden: number): boolean => hidden % 4 === 0;

/** states [positions, h] and tape [positions, 6h] — views into the kernel's memory: copy them out. */
export const lstmScanForward = (pre: Float32Array, w: Float32Array, h0: Float32Array, c0: Float32Array, g: ScanGeometry) => {
  const h = g.hidden;
  const n = positions(g);
  if (!lstmScanSupports(h)) throw new Error(`lstmScan: needs hidden % 4 = 0, got ${h}`);
  if (pre.length !== n * 4 * h || w.length !== g.offsets.length * h * 4 * h || h0.length !== h || c0.length !== h)
    throw new Error('lstmScan: sizes do not match the geometry');
  const k = kernelModule();
  const [preAt, wAt, h0At, c0At, statesAt, tapeAt, gatesAt, offsetsAt] = layout(k, [
    pre.byteLength, w.byteLength, h * 4, h * 4, n * h * 4, n * 6 * h * 4, 4 * h * 4, g.offsets.length * 4,
  ]) as number[] as [number, number, number, number, number, number, number, number];
  const buffer = k.memory.buffer;
  new Float32Array(buffer, preAt, pre.length).set(pre);
  new Float32Array(buffer, wAt, w.length).set(w);
  new Float32Array(buffer, h0At, h).set(h0);
  new Float32Array(buffer, c0At, h).set(c0);
  new Int32Array(buffer, offsetsAt, g.offsets.length).set(g.offsets);
  const [sB, sT, sL] = g.strides;
  k.lstmScanForward(preAt, wAt, h0At, c0At, statesAt, tapeAt, gatesAt, g.batch, g.steps, g.line, sB, sT, sL, offsetsAt, g.offsets.length, g.reverse ? 1 : 0, h);
  return { states: new Float32Array(buffer, statesAt, n * h), tape: new Float32Array(buffer, tapeAt, n * 6 * h) };
};

/** W [k·h, 4h] → per-tap transposed [4h, k·h]. */
const transpose = (w: Float32Array, rows: number, cols: number): Float32Array => {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
};

/** dPre [positions, 4h], dW [k·h, 4h], dh0 [h], dc0 [h] — views into the kernel's memory: copy them out. */
export const lstmScanBackward = (
  dStates: Float32Array, tape: Float32Array, states: Float32Array, w: Float32Array, h0: Float32Array, c0: Float32Array, g: ScanGeometry,
) => {
  const h = g.hidden;
  const n = positions(g);
  const kh = g.offsets.length * h;
  if (dStates.length !== n * h || tape.length !== n * 6 * h || states.length !== n * h || w.length !== kh * 4 * h)
    throw new Error('lstmScan gradient: sizes do not match the geometry');
  const k = kernelModule();
  const lanes = g.batch * g.line;
  const [dsAt, tapeAt, statesAt, wTAt, h0At, c0At, dPreAt, dWAt, dh0At, dc0At, recAt, recNextAt, dcAt, offsetsAt] = layout(k, [
    dStates.byteLength, tape.byteLength, states.byteLength, w.byteLength, h * 4, h * 4,
    n * 4 * h * 4, w.byteLength, h * 4, h * 4, lanes * h * 4, lanes * h * 4, lanes * h * 4, g.offsets.length * 4,
  ]) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const buffer = k.memory.buffer;
  new Float32Array(buffer, dsAt, dStates.length).set(dStates);
  new Float32Array(buffer, tapeAt, tape.length).set(tape);
  new Float32Array(buffer, statesAt, states.length).set(states);
  new Float32Array(buffer, wTAt, w.length).set(transpose(w, kh, 4 * h));
  new Float32Array(buffer, h0At, h).set(h0);
  new Float32Array(buffer, c0At, h).set(c0);
  new Int32Array(buffer, offsetsAt, g.offsets.length).set(g.offsets);
  const [sB, sT, sL] = g.strides;
  k.lstmScanBackward(dsAt, tapeAt, statesAt, wTAt, h0At, c0At, dPreAt, dWAt, dh0At, dc0At, recAt, recNextAt, dcAt,
    g.batch, g.steps, g.line, sB, sT, sL, offsetsAt, g.offsets.length, g.reverse ? 1 : 0, h);
  return {
    dPre: new Float32Array(buffer, dPreAt, n * 4 * h),
    dW: new Float32Array(buffer, dWAt, kh * 4 * h),
    dh0: new Float32Array(buffer, dh0At, h),
    dc0: new Float32Array(buffer, dc0At, h),
  };
};

// ---- as tfjs kernels on the wasm backend ----

type GeometryAttrs = Omit<ScanGeometry, 'strides' | 'offsets' | 'reverse'> & {
  readonly strides: number[];
  readonly offsets: number[];
  readonly reverse: number;
};
const toAttrs = (g: ScanGeometry): tf.NamedAttrMap => ({ ...g, strides: [...g.strides], offsets: [...g.offsets], reverse: g.reverse ? 1 : 0 }) as unknown as tf.NamedAttrMap;
const fromAttrs = (a: GeometryAttrs): ScanGeometry => ({ ...a, strides: a.strides as unknown as [number, number, number], reverse: a.reverse === 1 });

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
      const n = positions(g);
      const { states, tape } = lstmScanForward(read('pre'), read('w'), read('h0'), read('c0'), g);
      return [heapOutput(heap, [n, g.hidden], states), heapOutput(heap, [n, 6 * g.hidden], tape)];
    },
  });
  tf.registerKernel({
    kernelName: lstmScanGradKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const heap = backend as unknown as WasmHeap;
      const g = fromAttrs(attrs as unknown as GeometryAttrs);
      const read = (name: string) => heap.typedArrayFromHeap(inputs[name] as tf.TensorInfo);
      const n = positions(g);
      const r = lstmScanBackward(read('dStates'), read('tape'), read('states'), read('w'), read('h0'), read('c0'), g);
      const h = g.hidden;
      return [
        heapOutput(heap, [n, 4 * h], r.dPre),
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

/**
 * The scan as a differentiable op: pre [positions·4h, any shape with that many values], w [k·h, 4h],
 * h0, c0 [h] → states [positions, h].
 */
export const lstmScan = (g: ScanGeometry): Scan =>
  tf.customGrad(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ((pre: Tensor, w: Tensor2D, h0: Tensor, c0: Tensor, save: tf.GradSaveFunc) => {
      const [states, tape] = tf.engine().runKernel(lstmScanKernelName, { pre, w, h0, c0 }, toAttrs(g)) as unknown as [Tensor, Tensor];
      save([states, tape, w, h0, c0]);
      return {
        value: states, // [positions, h]
        gradFunc: (dStates: Tensor, saved: Tensor[]) => {
          const [s, tape2, w2, h02, c02] = saved as [Tensor, Tensor, Tensor, Tensor, Tensor];
          const [dPre, dW, dh0, dc0] = tf.engine().runKernel(
            lstmScanGradKernelName,
            { dStates, tape: tape2, states: s, w: w2, h0: h02, c0: c02 },
            toAttrs(g),
          ) as unknown as [Tensor, Tensor, Tensor, Tensor];
          return [tf.reshape(dPre, pre.shape), dW, dh0, dc0];
        },
      };
    }) as any,
  ) as unknown as Scan;

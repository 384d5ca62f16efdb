// Wasm memory for a cached sampler's state (its input maps, weights, biases and per-pixel sums), and
// the per-pixel work that runs on it: kernels/causalConv.ts `segmentGemm`,
//   acc[m, n] += Σ_s Σ_{k < K_s} x_s[m·ldx + k] · w_s[k·ldw + n]      (m < M images, n < N outputs)
// one f32x4 SIMD call for a whole layer at one pixel over a batch of images — instead of scalar JS,
// or a tfjs op whose dispatch alone costs more than the arithmetic — and `streamRelu`, the residual
// stream's update and the relu into the next layer's input; and kernels/lstmScan.ts `lstmCells`,
// the PixelRNNs' LSTM cells (σ and tanh from a SIMD exp).
//
// Usage: `alloc` every block first (offsets in floats), then `ready()` takes the view `f32` (the
// memory does not grow after that); per product, `seg` lists the segments and `gemm` runs them.

import { privateModules, type KernelBuild, type KernelModule } from '../kernels/module.js';

type Functions = 'segmentGemm' | 'streamRelu';
type CellFunctions = 'lstmCells';

export class PixelMemory {
  private readonly module: KernelModule<Functions>;
  private readonly cells: KernelModule<CellFunctions>;
  private readonly arena;
  /** The build running the products ('relaxed-simd' or 'simd'), fixed when the memory was made. */
  readonly build: KernelBuild;
  private segAt = 0; // byte offset of the segment table: (x, K, w) i32 triples
  private segCap = 0;
  private segs = 0;
  private i32: Int32Array = new Int32Array(0);
  /** The whole memory as floats; valid after `ready()`. */
  f32: Float32Array = new Float32Array(0);

  constructor() {
    const { modules, arena, build } = privateModules<Functions | CellFunctions>(['causalConv.wasm', 'lstmScan.wasm']);
    this.module = modules[0]!;
    this.cells = modules[1]!;
    this.arena = arena;
    this.build = build;
  }

  /** A block of `floats` floats (zeros); its offset in `f32`. Only before `ready()`. */
  alloc(floats: number): number {
    if (this.f32.length) throw new Error('PixelMemory: alloc after ready()');
    return this.arena.alloc(Math.max(4, floats) * 4) / 4;
  }

  /** Room for up to `segments` segments in one product, and the views; no alloc after this. */
  ready(segments: number): void {
    this.segCap = segments;
    this.segAt = this.arena.alloc(segments * 12 + 4);
    this.f32 = this.arena.f32();
    this.i32 = this.arena.i32();
  }

  /** Start a new list of segments. */
  clear(): void {
    this.segs = 0;
  }

  /** Add a segment: rows of x from float offset `x` (K features each), weight rows from float offset `w`. */
  seg(x: number, K: number, w: number): void {
    if (this.segs === this.segCap) throw new Error(`PixelMemory: more than ${this.segCap} segments in one product`);
    const at = this.segAt / 4 + this.segs * 3;
    this.i32[at] = x * 4;
    this.i32[at + 1] = K;
    this.i32[at + 2] = w * 4;
    this.segs++;
  }

  /** acc[m·ldo + n] += Σ over the listed segments, m < M, n < N (offsets in floats); the list is kept. */
  gemm(acc: number, ldo: number, M: number, N: number, ldx: number, ldw: number): void {
    if (this.segs > 0 && N > 0 && M > 0) this.module.segmentGemm(acc * 4, ldo, M, N, this.segAt, this.segs, ldx, ldw);
  }

  /**
   * The residual stream at one pixel, features [0, N) of M images (offsets in floats, rows `ld` and
   * `ldOut` apart): v = first ? sum : stream + sum; stream = v; out = relu(v). With stream = sum and
   * first, out = relu(sum).
   */
  /**
   * LSTM cells of M images on features [k0, k1) (kernels/lstmScan.ts lstmCells; offsets and strides in
   * floats): gates at gates + m·ldg as [i | f | o | g] (hidden each); c = σ(f)·cp + σ(i)·tanh(g),
   * h = σ(o)·tanh(c). ldcp = 0: one previous cell for every image. May read up to 3 floats past k1.
   */
  lstmCells(gates: number, ldg: number, cp: number, ldcp: number, h: number, ldh: number, c: number, ldc: number, M: number, hidden: number, k0: number, k1: number): void {
    if (M > 0 && k1 > k0) this.cells.lstmCells(gates * 4, ldg, cp * 4, ldcp, h * 4, ldh, c * 4, ldc, M, hidden, k0, k1);
  }

  streamRelu(sum: number, stream: number, out: number, M: number, N: number, ld: number, ldOut: number, first: boolean): void {
    if (M > 0 && N > 0) this.module.streamRelu(sum * 4, stream * 4, out * 4, M, N, ld, ldOut, first ? 1 : 0);
  }
}

// Memory for a cached sampler's state (its input maps, weights, biases and per-pixel sums), and the
// per-pixel work that runs on it:
//   gemm        acc[m, n] += Σ_s Σ_{k < K_s} x_s[m·ldx + k] · w_s[k·ldw + n]   (m < M images, n < N outputs)
//   streamRelu  the residual stream's update and the relu into the next layer's input
//   lstmCells   the PixelRNNs' LSTM cells
// Two engines, one layout:
//   - 'wasm': our kernels (kernels/causalConv.ts segmentGemm and streamRelu, kernels/lstmScan.ts
//     lstmCells: f32x4 SIMD, fused multiply-add in the relaxed build, σ/tanh from a SIMD exp) on a
//     wasm memory of the sampler's own — one call for a whole layer at one pixel over the batch;
//   - 'js': the same sums in plain JS (Float64 accumulation, zero inputs skipped) on a Float32Array,
//     where our kernels do not run: in a browser, on tfjs's cpu backend, with our kernels switched
//     off (setCausalConvKernels(false)). 'auto' (the default) picks 'wasm' exactly where the network's
//     own forward pass runs our kernels, so a sampler computes alike wherever its network does.
//
// Usage: `alloc` every block first (offsets in floats), then `ready()` takes the view `f32` (the
// memory does not grow after that); per product, `seg` lists the segments and `gemm` runs them.

import { ownKernelsRun } from '../kernels/causalConv.js';
import { privateModules, type KernelBuild, type KernelModule } from '../kernels/module.js';

type Functions = 'segmentGemm' | 'streamRelu' | 'lstmCells';

/** Where the per-pixel work runs; 'auto': 'wasm' where our kernels run (ownKernelsRun), else 'js'. */
export type PixelEngine = 'wasm' | 'js' | 'auto';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

export class PixelMemory {
  private readonly gemmK: KernelModule<'segmentGemm' | 'streamRelu'> | null = null;
  private readonly cellK: KernelModule<'lstmCells'> | null = null;
  private readonly arena: { alloc(bytes: number): number; f32(): Float32Array; i32(): Int32Array } | null = null;
  private end = 64; // js engine: bytes allocated so far
  /** The kernel build running the work ('relaxed-simd' or 'simd'), or 'js'; fixed when the memory was made. */
  readonly build: KernelBuild | 'js';
  private segAt = 0; // byte offset of the segment table: (x, K, w) i32 triples
  private segCap = 0;
  private segs = 0;
  private i32: Int32Array = new Int32Array(0);
  private rowBuf = new Float64Array(0); // js engine: one output row's sums
  /** The whole memory as floats; valid after `ready()`. */
  f32: Float32Array = new Float32Array(0);

  constructor(engine: PixelEngine = 'auto') {
    if (engine === 'wasm' || (engine === 'auto' && ownKernelsRun())) {
      const { modules, arena, build } = privateModules<Functions>(['causalConv.wasm', 'lstmScan.wasm']);
      this.gemmK = modules[0]!;
      this.cellK = modules[1]!;
      this.arena = arena;
      this.build = build;
    } else this.build = 'js';
  }

  /** A block of `floats` floats (zeros); its offset in `f32`. Only before `ready()`. */
  alloc(floats: number): number {
    if (this.f32.length) throw new Error('PixelMemory: alloc after ready()');
    const bytes = Math.max(4, floats) * 4;
    if (this.arena) return this.arena.alloc(bytes) / 4;
    const at = this.end;
    this.end = Math.ceil((at + bytes) / 64) * 64;
    return at / 4;
  }

  /** Room for up to `segments` segments in one product, and the views; no alloc after this. */
  ready(segments: number): void {
    this.segCap = segments;
    this.segAt = this.alloc(segments * 3 + 1) * 4;
    if (this.arena) {
      this.f32 = this.arena.f32();
      this.i32 = this.arena.i32();
    } else {
      const buffer = new ArrayBuffer(this.end);
      this.f32 = new Float32Array(buffer);
      this.i32 = new Int32Array(buffer);
    }
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
    if (this.segs === 0 || N <= 0 || M <= 0) return;
    if (this.gemmK) return this.gemmK.segmentGemm(acc * 4, ldo, M, N, this.segAt, this.segs, ldx, ldw);
    const { f32, i32 } = this;
    if (this.rowBuf.length < N) this.rowBuf = new Float64Array(N);
    const row = this.rowBuf;
    const table = this.segAt / 4;
    for (let m = 0; m < M; m++) {
      const a = acc + m * ldo;
      for (let n = 0; n < N; n++) row[n] = f32[a + n]!;
      for (let s = 0; s < this.segs; s++) {
        const x = i32[table + 3 * s]! / 4 + m * ldx;
        const K = i32[table + 3 * s + 1]!;
        const w = i32[table + 3 * s + 2]! / 4;
        for (let k = 0; k < K; k++) {
          const v = f32[x + k]!;
          if (v === 0) continue; // half of every post-ReLU input
          const r = w + k * ldw;
          for (let n = 0; n < N; n++) row[n]! += v * f32[r + n]!;
        }
      }
      for (let n = 0; n < N; n++) f32[a + n] = row[n]!;
    }
  }

  /**
   * The residual stream at one pixel, features [0, N) of M images (offsets in floats, rows `ld` and
   * `ldOut` apart): v = first ? sum : stream + sum; stream = v; out = relu(v). With stream = sum and
   * first, out = relu(sum).
   */
  streamRelu(sum: number, stream: number, out: number, M: number, N: number, ld: number, ldOut: number, first: boolean): void {
    if (M <= 0 || N <= 0) return;
    if (this.gemmK) return this.gemmK.streamRelu(sum * 4, stream * 4, out * 4, M, N, ld, ldOut, first ? 1 : 0);
    const f32 = this.f32;
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        const v = first ? f32[sum + m * ld + n]! : Math.fround(f32[stream + m * ld + n]! + f32[sum + m * ld + n]!);
        f32[stream + m * ld + n] = v;
        f32[out + m * ldOut + n] = v > 0 ? v : 0;
      }
  }

  /**
   * LSTM cells of M images on features [k0, k1) (offsets and strides in floats): gates at gates + m·ldg
   * as [i | f | o | g] (hidden each); c = σ(f)·cp + σ(i)·tanh(g), h = σ(o)·tanh(c). ldcp = 0: one
   * previous cell for every image. The wasm engine may read up to 3 floats past k1.
   */
  lstmCells(gates: number, ldg: number, cp: number, ldcp: number, h: number, ldh: number, c: number, ldc: number, M: number, hidden: number, k0: number, k1: number): void {
    if (M <= 0 || k1 <= k0) return;
    if (this.cellK) return this.cellK.lstmCells(gates * 4, ldg, cp * 4, ldcp, h * 4, ldh, c * 4, ldc, M, hidden, k0, k1);
    const f32 = this.f32;
    for (let m = 0; m < M; m++) {
      const g = gates + m * ldg;
      for (let k = k0; k < k1; k++) {
        const cn = sigmoid(f32[g + hidden + k]!) * f32[cp + m * ldcp + k]! + sigmoid(f32[g + k]!) * Math.tanh(f32[g + 3 * hidden + k]!);
        f32[c + m * ldc + k] = cn;
        f32[h + m * ldh + k] = sigmoid(f32[g + 2 * hidden + k]!) * Math.tanh(cn);
      }
    }
  }
}

// Winograd F(4, 3) along the row for the causal convolutions whose taps are the 2×3 rectangle's
// "row above, three taps; own row, the first two or all three" — a 3×3 mask-B layer (5 taps) and
// PixelCNN++'s down-shifted 2×3 conv (6). Each row of taps is a 1-D correlation along x, so four
// outputs of a row take six products per row of taps instead of twelve: 3 products per output
// pixel instead of 5 (mask B) or 6 (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016). In the transformed domain each of the six points ξ is a dense two-tap product
// over channels on a map of tiles [B, H, T = ⌈W/4⌉, C] (kernels/causalConv.ts: rowPairGemm,
// rowPairWeightGrad); the transforms are kernels too (winogradInput, winogradOutput and their
// transposes). Here: which layers qualify, the weight transform V = G·w and its transpose, and the
// three passes on pointers into an arena.
//   forward:  U = Bᵀx (tiles), M_ξ = U_ξ(row above)·Vtop_ξ + U_ξ(row)·Vmid_ξ, y = bias + Aᵀ M;
//   backward: dM = A dy, dU_ξ = dM_ξ(row)·Vmidᵀ_ξ + dM_ξ(row below)·Vtopᵀ_ξ, dx = B dU;
//             dVtop_ξ = Σ U_ξ(row above)ᵀ dM_ξ, dVmid_ξ = Σ U_ξ(row)ᵀ dM_ξ, dw = Gᵀ dV.
// The results equal the direct kernels' up to float rounding (causalConv.spec.ts checks both ways).

import type { Arena, KernelModule } from './module.js';

export type WinogradFunctions = 'winogradInput' | 'winogradOutput' | 'winogradOutputGrad' | 'winogradInputGrad' | 'rowPairGemm' | 'rowPairWeightGrad';
type Shape4 = readonly [number, number, number, number];
type Rect = readonly [cy: number, cx: number, kw: number, taps: number];

/** G [6, 3]: the weight transform of F(4, 3). */
export const WINOGRAD_G: readonly (readonly [number, number, number])[] = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];
const POINTS = 6;

let enabled = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['PIXELSTREAMS_WINOGRAD'] !== '0';
/** Winograd on (default) or off — the direct kernels for every layer — for A/B benchmarks and tests. PIXELSTREAMS_WINOGRAD=0 turns it off at load. */
export const setWinograd = (on: boolean): void => {
  enabled = on;
};
export const winogradOn = (): boolean => enabled;

/** Whether a layer with this rectangle and widths runs as Winograd: the 2×3 rectangle with 5 or 6 taps, in % 16 and out % 16 (both are a product's output width in one pass or another). */
export const winogradSupports = ([cy, cx, kw, taps]: Rect, inC: number, outC: number): boolean =>
  enabled && cy === 1 && cx === 1 && kw === 3 && (taps === 5 || taps === 6) && inC % 16 === 0 && outC % 16 === 0;

/**
 * V [6][2][C][O] (transposed: [6][2][O][C]) from the compact weights [taps·C, O]: per point ξ the
 * row above's and the own row's weights, V_row[ξ] = Σ_k G[ξ, k] · w_row[k] (the own row's third tap
 * zero when there are 5).
 */
export const transformWeights = (w: Float32Array, wAt: number, taps: number, inC: number, outC: number, v: Float32Array, vAt: number, transposed: boolean): void => {
  const block = inC * outC;
  for (let xi = 0; xi < POINTS; xi++) {
    const g = WINOGRAD_G[xi]!;
    for (let row = 0; row < 2; row++) {
      const to = vAt + (xi * 2 + row) * block;
      const tapsHere = row === 0 ? 3 : taps - 3;
      for (let i = 0; i < block; i++) {
        let s = 0;
        for (let k = 0; k < tapsHere; k++) s += g[k]! * w[wAt + (row * 3 + k) * block + i]!;
        if (transposed) {
          const c = Math.floor(i / outC);
          v[to + (i - c * outC) * inC + c] = s;
        } else v[to + i] = s;
      }
    }
  }
};

/** dw [taps·C, O] = Gᵀ dV from dV [6][2][C][O]: the transpose of transformWeights. */
export const weightGradFromPoints = (dv: Float32Array, dvAt: number, taps: number, inC: number, outC: number, dw: Float32Array, dwAt: number): void => {
  const block = inC * outC;
  for (let t = 0; t < taps; t++) {
    const row = t < 3 ? 0 : 1;
    const k = t - row * 3;
    const to = dwAt + t * block;
    for (let i = 0; i < block; i++) {
      let s = 0;
      for (let xi = 0; xi < POINTS; xi++) s += WINOGRAD_G[xi]![k]! * dv[dvAt + (xi * 2 + row) * block + i]!;
      dw[to + i] = s;
    }
  }
};

const tilesOf = (width: number) => Math.ceil(width / 4);

/** y [B, H, W, O] at y = bias + the layer's conv of x [B, H, W, C]; weights [taps·C, O] at w; bias 0: none. */
export const winogradForwardAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, [b, h, w, c]: Shape4, weights: number, bias: number, outC: number, taps: number, y: number): void => {
  const t = tilesOf(w);
  const padded = (h + 2) * t;
  const v = arena.alloc(POINTS * 2 * c * outC * 4);
  const u = arena.alloc(POINTS * b * padded * c * 4);
  const m = arena.alloc(POINTS * b * h * t * outC * 4);
  const f32 = arena.f32();
  transformWeights(f32, weights / 4, taps, c, outC, f32, v / 4, false);
  k.winogradInput(x, u, b, h, w, c, t);
  const block = c * outC * 4;
  for (let xi = 0; xi < POINTS; xi++) {
    const vTop = v + xi * 2 * block;
    k.rowPairGemm(u + xi * b * padded * c * 4, padded, 0, t, vTop, vTop + block, m + xi * b * h * t * outC * 4, h * t, b, h * t, c, outC);
  }
  k.winogradOutput(m, bias, bias ? 1 : 0, y, b, h, w, outC, t);
};

/**
 * The gradients of winogradForwardAt given dy [B, H, W, O]: dx [B, H, W, C] at dx (0: not wanted),
 * dW [taps·C, O] at dW, db [O] at db.
 */
export const winogradGradAt = (
  k: KernelModule<WinogradFunctions>,
  arena: Arena,
  x: number,
  dy: number,
  [b, h, w, c]: Shape4,
  weights: number,
  outC: number,
  taps: number,
  dx: number,
  dW: number,
  db: number,
): void => {
  const t = tilesOf(w);
  const padded = (h + 2) * t;
  const block = c * outC * 4;
  const dm = arena.alloc(POINTS * b * padded * outC * 4);
  k.winogradOutputGrad(dy, dm, db, b, h, w, outC, t);
  const dmPlane = b * padded * outC * 4;
  if (dx) {
    const vT = arena.alloc(POINTS * 2 * c * outC * 4);
    const du = arena.alloc(POINTS * b * h * t * c * 4);
    const f32 = arena.f32();
    transformWeights(f32, weights / 4, taps, c, outC, f32, vT / 4, true);
    for (let xi = 0; xi < POINTS; xi++) {
      const vTopT = vT + xi * 2 * block;
      // the own row's output, then the row below's (through the row-above taps)
      k.rowPairGemm(dm + xi * dmPlane, padded, t, 2 * t, vTopT + block, vTopT, du + xi * b * h * t * c * 4, h * t, b, h * t, outC, c);
    }
    k.winogradInputGrad(du, dx, b, h, w, c, t);
  }
  const u = arena.alloc(POINTS * b * padded * c * 4);
  const dv = arena.alloc(POINTS * 2 * c * outC * 4);
  k.winogradInput(x, u, b, h, w, c, t);
  arena.f32().fill(0, dv / 4, dv / 4 + POINTS * 2 * c * outC);
  for (let xi = 0; xi < POINTS; xi++) {
    const dvTop = dv + xi * 2 * block;
    k.rowPairWeightGrad(u + xi * b * padded * c * 4, padded, 0, t, dm + xi * dmPlane + t * outC * 4, padded, dvTop, dvTop + block, b, h * t, c, outC);
  }
  const f32 = arena.f32();
  weightGradFromPoints(f32, dv / 4, taps, c, outC, f32, dW / 4);
};

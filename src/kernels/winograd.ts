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

export type WinogradFunctions = 'winogradInput' | 'winogradOutput' | 'winogradOutputGrad' | 'winogradInputGrad' | 'rowPairGemm' | 'rowPairWeightGrad' | 'winogradPlaneInput' | 'winogradPlaneOutput' | 'winogradPlaneOutputGrad' | 'winogradPlaneInputGrad' | 'mixBlocks';
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

// F(4, 2) along y, over the row above and the own row (points 0, 1, −1, 2, ∞): four output rows
// from five input rows with five products instead of eight. With F(4, 3) along x it makes the 2-D
// transform: 30 products for 16 outputs, 1.875 per output pixel instead of 3 (1-D) or 5 (direct).
// Its Bᵀ and Aᵀ are written out in the transform kernels (kernels/causalConv.ts, winogradPlane*).
/** G [5, 2] along y: point ξ's weights = Σ_k GY[ξ][k] · w_k (k = 0 the row above, 1 the own row). */
export const WINOGRAD_GY: readonly (readonly [number, number])[] = [
  [1 / 2, 0],
  [-1 / 2, -1 / 2],
  [-1 / 6, 1 / 6],
  [1 / 6, 1 / 3],
  [0, 1],
];
const POINTS_Y = 5;

let enabled = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['PIXELSTREAMS_WINOGRAD'] !== '0';
/** Winograd on (default) or off — the direct kernels for every layer — for A/B benchmarks and tests. PIXELSTREAMS_WINOGRAD=0 turns it off at load. */
export const setWinograd = (on: boolean): void => {
  enabled = on;
};
export const winogradOn = (): boolean => enabled;

let plane = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['PIXELSTREAMS_WINOGRAD'] !== '1d';
/** The 2-D transform (F(4, 2) along y as well) on (default) or off — along x only — for A/B benchmarks and tests. PIXELSTREAMS_WINOGRAD=1d turns it off at load. */
export const setWinogradPlane = (on: boolean): void => {
  plane = on;
};

/** Whether a layer with this rectangle and widths runs as Winograd: the 2×3 rectangle with 5 or 6 taps, in % 16 and out % 16 (both are a product's output width in one pass or another). */
export const winogradSupports = ([cy, cx, kw, taps]: Rect, inC: number, outC: number): boolean =>
  enabled && cy === 1 && cx === 1 && kw === 3 && (taps === 5 || taps === 6) && inC % 16 === 0 && outC % 16 === 0;

/** coef [12, taps]: point ξ's row-r weights (index ξ·2 + r: r = 0 the row above, 1 the own row) = Σ_t coef · tap t's weights. */
const rowsCoefficients = (taps: number): number[][] =>
  Array.from({ length: POINTS * 2 }, (_, j) => {
    const [xi, row] = [Math.floor(j / 2), j % 2];
    return Array.from({ length: taps }, (_, tap) => (Math.floor(tap / 3) === row ? WINOGRAD_G[xi]![tap % 3]! : 0));
  });

/** coef [30, taps]: point (ξy, ξx)'s weights (index ξy·6 + ξx) = Σ_t coef · tap t's weights: GY along y over G along x. */
const planeCoefficients = (taps: number): number[][] =>
  Array.from({ length: POINTS_Y * POINTS }, (_, j) => {
    const [yi, xi] = [Math.floor(j / POINTS), j % POINTS];
    return Array.from({ length: taps }, (_, tap) => WINOGRAD_GY[yi]![Math.floor(tap / 3)]! * WINOGRAD_G[xi]![tap % 3]!);
  });

const transpose = (m: readonly (readonly number[])[]): number[][] => m[0]!.map((_, j) => m.map((row) => row[j]!));

/** coef [rows, cols] as f32 in the arena. */
const table = (arena: Arena, m: readonly (readonly number[])[]): number => {
  const at = arena.alloc(m.length * m[0]!.length * 4);
  arena.f32().set(m.flat(), at / 4);
  return at;
};

/**
 * The points' weights [points][C][O] (transposed: [points][O][C]) from the compact weights
 * [taps·C, O] at w: one mixBlocks call with `coef` [points, taps].
 */
const transformWeights = (k: KernelModule<WinogradFunctions>, arena: Arena, w: number, coef: readonly (readonly number[])[], inC: number, outC: number, transposed: boolean): number => {
  const taps = coef[0]!.length;
  const block = inC * outC;
  let source = w;
  if (transposed) {
    source = arena.alloc(taps * block * 4);
    const f32 = arena.f32();
    for (let t = 0; t < taps; t++)
      for (let i = 0; i < inC; i++)
        for (let o = 0; o < outC; o++) f32[source / 4 + t * block + o * inC + i] = f32[w / 4 + t * block + i * outC + o]!;
  }
  const v = arena.alloc(coef.length * block * 4);
  k.mixBlocks(source, v, table(arena, coef), taps, coef.length, block);
  return v;
};

/** dW [taps·C, O] at dW from the points' weight gradients [points][C][O] at dv: the transpose of transformWeights. */
const weightGradFromPoints = (k: KernelModule<WinogradFunctions>, arena: Arena, dv: number, coef: readonly (readonly number[])[], inC: number, outC: number, dW: number): void =>
  k.mixBlocks(dv, dW, table(arena, transpose(coef)), coef.length, coef[0]!.length, inC * outC);

const tilesOf = (width: number) => Math.ceil(width / 4);

/** The 1-D transform (along x only): y [B, H, W, O] at y = bias + the layer's conv of x [B, H, W, C]; weights [taps·C, O] at w; bias 0: none. */
const rowsForwardAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, [b, h, w, c]: Shape4, weights: number, bias: number, outC: number, taps: number, y: number): void => {
  const t = tilesOf(w);
  const padded = (h + 2) * t;
  const v = transformWeights(k, arena, weights, rowsCoefficients(taps), c, outC, false);
  const u = arena.alloc(POINTS * b * padded * c * 4);
  const m = arena.alloc(POINTS * b * h * t * outC * 4);
  k.winogradInput(x, u, b, h, w, c, t);
  const block = c * outC * 4;
  for (let xi = 0; xi < POINTS; xi++) {
    const vTop = v + xi * 2 * block;
    k.rowPairGemm(u + xi * b * padded * c * 4, padded, 0, t, vTop, vTop + block, 2, m + xi * b * h * t * outC * 4, h * t, b, h * t, c, outC);
  }
  k.winogradOutput(m, bias, bias ? 1 : 0, y, b, h, w, outC, t);
};

/** The gradients of rowsForwardAt given dy [B, H, W, O]: dx [B, H, W, C] at dx (0: not wanted), dW [taps·C, O] at dW, db [O] at db. */
const rowsGradAt = (
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
    const vT = transformWeights(k, arena, weights, rowsCoefficients(taps), c, outC, true);
    const du = arena.alloc(POINTS * b * h * t * c * 4);
    for (let xi = 0; xi < POINTS; xi++) {
      const vTopT = vT + xi * 2 * block;
      // the own row's output, then the row below's (through the row-above taps)
      k.rowPairGemm(dm + xi * dmPlane, padded, t, 2 * t, vTopT + block, vTopT, 2, du + xi * b * h * t * c * 4, h * t, b, h * t, outC, c);
    }
    k.winogradInputGrad(du, dx, b, h, w, c, t);
  }
  const u = arena.alloc(POINTS * b * padded * c * 4);
  const dv = arena.alloc(POINTS * 2 * c * outC * 4);
  k.winogradInput(x, u, b, h, w, c, t);
  arena.f32().fill(0, dv / 4, dv / 4 + POINTS * 2 * c * outC);
  for (let xi = 0; xi < POINTS; xi++) {
    const dvTop = dv + xi * 2 * block;
    k.rowPairWeightGrad(u + xi * b * padded * c * 4, padded, 0, t, dm + xi * dmPlane + t * outC * 4, padded, dvTop, dvTop + block, 2, b, h * t, c, outC);
  }
  weightGradFromPoints(k, arena, dv, rowsCoefficients(taps), c, outC, dW);
};

// ---- the 2-D transform: F(4, 2) along y over F(4, 3) along x, for maps whose height is a multiple of 4 ----

const POINTS_2D = POINTS_Y * POINTS;
const SCRATCH = POINTS_2D * 16; // one tile's 30 points, four channels
/** Bytes from one point's [rows, width] matrix to the next: kept 192 bytes off a multiple of 4 KiB (winogradPlane* in kernels/causalConv.ts says why). */
const planeBytes = (rows: number, width: number): number => rows * width * 4 + (((4096 - ((rows * width * 4) % 4096)) % 4096) + 192);
/** Room for the 30 points, starting `skew` bytes into the block: the arrays of one call start at different offsets within 4 KiB. */
const points2d = (arena: Arena, rows: number, width: number, skew: number): number => arena.alloc(POINTS_2D * planeBytes(rows, width) + 4096) + skew;

const planeForwardAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, [b, h, w, c]: Shape4, weights: number, bias: number, outC: number, taps: number, y: number): void => {
  const t = tilesOf(w);
  const rows = b * (h / 4) * t; // tiles of 4×4 outputs: the rows of each point's product
  const block = c * outC;
  const v2 = transformWeights(k, arena, weights, planeCoefficients(taps), c, outC, false);
  const [uPlane, mPlane] = [planeBytes(rows, c), planeBytes(rows, outC)];
  const u = points2d(arena, rows, c, 0);
  const m = points2d(arena, rows, outC, 1088);
  const scratch = arena.alloc(SCRATCH);
  k.winogradPlaneInput(x, u, scratch, uPlane, b, h, w, c, t);
  for (let p = 0; p < POINTS_2D; p++) k.rowPairGemm(u + p * uPlane, 0, 0, 0, v2 + p * block * 4, 0, 1, m + p * mPlane, 0, 1, rows, c, outC);
  k.winogradPlaneOutput(m, bias, bias ? 1 : 0, y, scratch, mPlane, b, h, w, outC, t);
};

const planeGradAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, dy: number, [b, h, w, c]: Shape4, weights: number, outC: number, taps: number, dx: number, dW: number, db: number): void => {
  const t = tilesOf(w);
  const rows = b * (h / 4) * t;
  const block = c * outC;
  const [uPlane, mPlane] = [planeBytes(rows, c), planeBytes(rows, outC)];
  const scratch = arena.alloc(SCRATCH);
  const dm = points2d(arena, rows, outC, 1088);
  k.winogradPlaneOutputGrad(dy, dm, db, scratch, mPlane, b, h, w, outC, t);
  if (dx) {
    const v2 = transformWeights(k, arena, weights, planeCoefficients(taps), c, outC, true);
    const du = points2d(arena, rows, c, 0);
    for (let p = 0; p < POINTS_2D; p++) k.rowPairGemm(dm + p * mPlane, 0, 0, 0, v2 + p * block * 4, 0, 1, du + p * uPlane, 0, 1, rows, outC, c);
    k.winogradPlaneInputGrad(du, dx, scratch, uPlane, b, h, w, c, t);
  }
  const u = points2d(arena, rows, c, 2176);
  const dv2 = arena.alloc(POINTS_2D * block * 4);
  k.winogradPlaneInput(x, u, scratch, uPlane, b, h, w, c, t);
  arena.f32().fill(0, dv2 / 4, dv2 / 4 + POINTS_2D * block);
  for (let p = 0; p < POINTS_2D; p++) k.rowPairWeightGrad(u + p * uPlane, 0, 0, 0, dm + p * mPlane, 0, dv2 + p * block * 4, 0, 1, 1, rows, c, outC);
  weightGradFromPoints(k, arena, dv2, planeCoefficients(taps), c, outC, dW);
};

/** y [B, H, W, O] at y = bias + the layer's conv of x [B, H, W, C]; weights [taps·C, O] at w; bias 0: none. The 2-D transform where H % 4 = 0, else the 1-D one. */
export const winogradForwardAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, shape: Shape4, weights: number, bias: number, outC: number, taps: number, y: number): void =>
  (shape[1] % 4 === 0 && plane ? planeForwardAt : rowsForwardAt)(k, arena, x, shape, weights, bias, outC, taps, y);

/** The gradients given dy [B, H, W, O]: dx [B, H, W, C] at dx (0: not wanted), dW [taps·C, O] at dW, db [O] at db. */
export const winogradGradAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, dy: number, shape: Shape4, weights: number, outC: number, taps: number, dx: number, dW: number, db: number): void =>
  (shape[1] % 4 === 0 && plane ? planeGradAt : rowsGradAt)(k, arena, x, dy, shape, weights, outC, taps, dx, dW, db);

// Winograd F(4, 3) along the row for the causal convolutions whose taps are the 2×3 rectangle's
// "row above, three taps; own row, the first two or all three" — a 3×3 mask-B layer (5 taps) and
// PixelCNN++'s down-shifted 2×3 conv (6). Each row of taps is a 1-D correlation along x, so four
// outputs of a row take six products per row of taps instead of twelve (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016). In the transformed domain each of the six
// points ξ is a dense product over channels on a map of tiles [B, H, T = ⌈W/4⌉, C]
// (kernels/causalConv.ts: rowPairGemm, rowPairWeightGrad); the transforms are kernels too.
//   forward:  U = Bᵀx (tiles), M_ξ = U_ξ(row above)·Vtop_ξ [+ U_ξ(row)·Vown_ξ], y = bias + Aᵀ M [+ own row, direct];
//   input gradient: the same, transposed;
//   weight gradient: dV_ξ = Σ U_ξᵀ dM_ξ, dw = Gᵀ dV — through the 2-D transform (F(4, 2) along y too) where H % 4 = 0.
// Exact causality decides which rows go through the transform in the forward pass and the input
// gradient (OwnRowDirect below): a mask-B layer's own row runs in pairs of outputs that share one
// product (ownRowForwardPairs: exactly causal too), 1.5 + 1.5 products per output instead of 5, or
// on the direct kernels; a down-shifted layer, whose rows are all past, 3 instead of 6.
// Here: which layers qualify, the weight transforms (as coefficient tables for mixBlocks), and the
// passes on pointers into an arena. The results equal the direct kernels' up to float rounding
// (winograd.spec.ts).

import type { Arena, KernelModule } from './module.js';
import { transposeTaps } from './taps.js';

export type WinogradFunctions = 'winogradInput' | 'winogradOutput' | 'winogradOutputGrad' | 'winogradInputGrad' | 'rowPairGemm' | 'rowPairWeightGrad' | 'winogradPlaneInput' | 'winogradPlaneOutputGrad' | 'mixBlocks' | 'pairInput' | 'pairOutput' | 'pairOutputGrad' | 'pairInputGrad' | 'reluGateResidual' | 'winogradPlaneInputGrad' | 'columnSums';
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

/** PIXELSTREAMS_WINOGRAD where there is a process (not in a browser page). */
const setting = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['PIXELSTREAMS_WINOGRAD'];
let enabled = setting !== '0';
/** Winograd on (default) or off — the direct kernels for every layer — for A/B benchmarks and tests. PIXELSTREAMS_WINOGRAD=0 turns it off at load. */
export const setWinograd = (on: boolean): void => {
  enabled = on;
};

let plane = setting !== '1d';
let pairs = setting !== 'direct-row';
/** A mask-B layer's own row in pairs of outputs (three products for two, exactly causal: kernels/causalConv.ts pairInput …) on (default), or on the direct kernels — for A/B benchmarks and tests. PIXELSTREAMS_WINOGRAD=direct-row turns it off at load. */
export const setOwnRowPairs = (on: boolean): void => {
  pairs = on;
};
/** The weight gradient's 2-D transform (F(4, 2) along y as well) on (default) or off — along x only — for A/B benchmarks and tests. PIXELSTREAMS_WINOGRAD=1d turns it off at load. */
export const setWinogradPlane = (on: boolean): void => {
  plane = on;
};

/** Whether a layer with this rectangle and widths runs as Winograd: the 2×3 rectangle with 5 or 6 taps, in % 16 and out % 16 (both are a product's output width in one pass or another). */
export const winogradSupports = ([cy, cx, kw, taps]: Rect, inC: number, outC: number): boolean =>
  enabled && cy === 1 && cx === 1 && kw === 3 && (taps === 5 || taps === 6) && inC % 16 === 0 && outC % 16 === 0;

/**
 * Whether a layer with these taps and widths can run as a residual layer h + conv(relu(h)) on this
 * path (winogradForwardAt's `residual`): in = out, and no own row on the direct kernels (which read
 * x as it is) — a down-shifted layer, or a mask-B one with its own row in pairs.
 */
export const residualSupported = (taps: number, inC: number, outC: number): boolean => residualFused && inC === outC && (taps === 6 || pairs);

let residualFused = setting !== 'unfused-residual';
/** Residual layers fused into the Winograd kernels (default) or run as relu, the conv and an add — for A/B benchmarks and tests. PIXELSTREAMS_WINOGRAD=unfused-residual turns it off at load. */
export const setResidualFusion = (on: boolean): void => {
  residualFused = on;
};

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
    transposeTaps(f32, w / 4, f32, source / 4, taps, inC, outC);
  }
  const v = arena.alloc(coef.length * block * 4);
  k.mixBlocks(source, v, table(arena, coef), taps, coef.length, block);
  return v;
};

/** dW [taps·C, O] at dW from the points' weight gradients [points][C][O] at dv: the transpose of transformWeights. */
const weightGradFromPoints = (k: KernelModule<WinogradFunctions>, arena: Arena, dv: number, coef: readonly (readonly number[])[], inC: number, outC: number, dW: number): void =>
  k.mixBlocks(dv, dW, table(arena, transpose(coef)), coef.length, coef[0]!.length, inC * outC);

const tilesOf = (width: number) => Math.ceil(width / 4);

/** Bytes from one point's [rows, width] matrix to the next. */
const planeBytes = (rows: number, width: number): number => rows * width * 4;

let runBytes = 1.5 * 2 ** 20;
/** The bytes of transformed maps a run of images may take (default 1.5 MiB; Infinity: the whole batch at once) — for A/B benchmarks and tests. */
export const setWinogradRunBytes = (bytes: number): void => {
  runBytes = bytes;
};
/**
 * The batch in runs of images whose transformed maps (`perImage` bytes each) fit in about 1.5 MiB —
 * within one core's L2 here — so that each transform's output is still in cache when the products
 * read it: [first image, count] pairs.
 */
const imageRuns = (batch: number, perImage: number): [number, number][] => {
  const per = Math.min(batch, Math.max(1, Math.floor(runBytes / perImage)));
  return Array.from({ length: Math.ceil(batch / per) }, (_, i) => [i * per, Math.min(per, batch - i * per)]);
};

/**
 * A pass's runs of images and its two point-major arrays — `points` matrices each, of rowsA (rowsB)
 * rows per image and widthA (widthB) floats a row — allocated for the largest run: their starts
 * (a, b) and the bytes from one point to the next (planeA, planeB).
 */
const runPlan = (arena: Arena, batch: number, points: number, [rowsA, widthA]: readonly [number, number], [rowsB, widthB]: readonly [number, number]) => {
  const runs = imageRuns(batch, points * (planeBytes(rowsA, widthA) + planeBytes(rowsB, widthB)));
  const most = runs[0]![1];
  const [planeA, planeB] = [planeBytes(most * rowsA, widthA), planeBytes(most * rowsB, widthB)];
  return { runs, planeA, planeB, a: arena.alloc(points * planeA), b: arena.alloc(points * planeB) };
};

/** coef [6, taps]: point ξ's weights for the row above = Σ_k G[ξ, k] · tap k's (the own row's taps get 0). */
const aboveCoefficients = (taps: number): number[][] =>
  Array.from({ length: POINTS }, (_, xi) => Array.from({ length: taps }, (_, tap) => (tap < 3 ? WINOGRAD_G[xi]![tap]! : 0)));

/**
 * How a layer's own row is computed when it cannot go through the transform and pairs are off
 * (setOwnRowPairs): the direct kernels on its two taps (left, centre; weights [2, C, O] at the
 * pointer given). A mask-B layer's own row holds pixels after the output's; F(4, 3) would mix them
 * into it at rounding level (the transforms cancel them exactly only in exact arithmetic) and the
 * causality laws (props/) would see it. The row above is all past, so mixing its columns is
 * harmless; so is a 6-tap (down-shifted) layer's own row, whose input is shifted down a row.
 */
export interface OwnRowDirect {
  /** y = bias + the own row's conv of x (bias 0: none). */
  readonly forward: (ownRowWeights: number, bias: number, y: number) => void;
  /** dx = the own row's part of the input gradient. */
  readonly inputGrad: (ownRowWeights: number, dx: number) => void;
}

/** Which rows of taps go through the transform: both (6 taps, a down-shifted layer) or only the row above (5, mask B). */
const rowsThrough = (taps: number) => (taps === 6 ? 2 : 1);
const rowCoefficients = (taps: number) => (taps === 6 ? rowsCoefficients(6) : aboveCoefficients(taps));

/** Wl + Wc, Wl, Wc: the pair products' weights from the own row's two taps. */
const PAIR_COEFFICIENTS = [
  [1, 1],
  [1, 0],
  [0, 1],
];

/**
 * What the forward pass and the input gradient of a layer work with: tiles a row (t), a padded map's
 * rows × tiles (padded), rows of taps through the transform, the bytes of one [C][O] weight block, and
 * whether the own row runs on the direct kernels. Throws for a residual layer this path does not take.
 */
const passLayout = (who: string, [, h, w, c]: Shape4, outC: number, taps: number, residual: boolean) => {
  if (residual && !residualSupported(taps, c, outC)) throw new Error(`${who}: a residual layer needs in = out and its own row in pairs`);
  const t = tilesOf(w);
  const through = rowsThrough(taps);
  return { t, padded: (h + 2) * t, through, block: c * outC * 4, ownDirect: through === 1 && !pairs };
};

/** y [B, H, W, O] += a mask-B layer's own row (taps left and centre, weights [2, C, O] at ownRow), in pairs of outputs; of relu(x) with relu 1. */
const ownRowForwardPairs = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, [b, h, w, c]: Shape4, ownRow: number, outC: number, y: number, relu: number): void => {
  const pairsPerRow = Math.ceil(w / 2);
  const v = transformWeights(k, arena, ownRow, PAIR_COEFFICIENTS, c, outC, false); // [3][C][O]
  const { runs, a: p, planeA: pPlane, b: m, planeB: mPlane } = runPlan(arena, b, 3, [h * pairsPerRow, c], [h * pairsPerRow, outC]);
  for (const [first, n] of runs) {
    k.pairInput(x + first * h * w * c * 4, p, pPlane, n * h, w, c, relu);
    for (let j = 0; j < 3; j++) k.rowPairGemm(p + j * pPlane, 0, 0, 0, v + j * c * outC * 4, 0, 1, m + j * mPlane, 0, 1, n * h * pairsPerRow, c, outC);
    k.pairOutput(m, mPlane, y + first * h * w * outC * 4, n * h, w, outC);
  }
};

/** dx [B, H, W, C] += the own row's part of the input gradient, given dy [B, H, W, O]: ownRowForwardPairs transposed. */
const ownRowInputGradPairs = (k: KernelModule<WinogradFunctions>, arena: Arena, dy: number, [b, h, w, c]: Shape4, ownRow: number, outC: number, dx: number): void => {
  const pairsPerRow = Math.ceil(w / 2);
  const vT = transformWeights(k, arena, ownRow, PAIR_COEFFICIENTS, c, outC, true); // [3][O][C]
  const { runs, a: dp, planeA: pPlane, b: dm, planeB: mPlane } = runPlan(arena, b, 3, [h * pairsPerRow, c], [h * pairsPerRow, outC]);
  for (const [first, n] of runs) {
    k.pairOutputGrad(dy + first * h * w * outC * 4, dm, mPlane, n * h, w, outC);
    for (let j = 0; j < 3; j++) k.rowPairGemm(dm + j * mPlane, 0, 0, 0, vT + j * c * outC * 4, 0, 1, dp + j * pPlane, 0, 1, n * h * pairsPerRow, outC, c);
    k.pairInputGrad(dp, pPlane, dx + first * h * w * c * 4, n * h, w, c);
  }
};

// ---- a layer that is only a mask-B own row (the 1×3 rectangle's taps left and centre: the Row LSTM's
// input-to-state convolution, the Gated PixelCNN's 1×3 horizontal stack): its weight gradient in pairs.
// (Its forward pass and input gradient stay on the direct kernels: at the Row LSTM's widths, 32 → 64,
// the pairs' three products for four bought nothing there — bench/own-row-ab.ts — the transforms'
// memory traffic ate it; the weight gradient, a sum over every pixel, gains.)

/** Whether a layer is only an own row (taps left and centre) whose weight gradient runs in pairs here: in and out in sixteens. */
export const ownRowWeightGradInPairs = ([cy, cx, kw, taps]: Rect, inC: number, outC: number): boolean =>
  enabled && pairs && cy === 0 && cx === 1 && kw === 3 && taps === 2 && inC % 16 === 0 && outC % 16 === 0;

/**
 * dW [2·C, O] and db [O] of an own-row layer y = b + x[l − 1]·W_left + x[l]·W_centre, from x [B, H, W, C]
 * and dy [B, H, W, O], through pairInput's operands and pairOutputGrad's dM: each pair
 * operand's product gradient dV_j = Σ P_jᵀ dM_j (three for the four of the direct kernel), then
 * dW_left = dV0 + dV1 and dW_centre = dV0 + dV2 (the transpose of the pair weights); db = Σ dM0.
 */
export const ownRowLayerWeightGradAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, dy: number, [b, h, w, c]: Shape4, outC: number, dW: number, db: number): void => {
  const pairsPerRow = Math.ceil(w / 2);
  const block = c * outC * 4;
  const { runs, a: p, planeA: pPlane, b: dm, planeB: mPlane } = runPlan(arena, b, 3, [h * pairsPerRow, c], [h * pairsPerRow, outC]);
  const dv = arena.alloc(3 * block);
  const partial = arena.alloc(runs.length * outC * 4);
  arena.f32().fill(0, dv / 4, dv / 4 + (3 * block) / 4);
  runs.forEach(([first, n], r) => {
    k.pairInput(x + first * h * w * c * 4, p, pPlane, n * h, w, c, 0);
    k.pairOutputGrad(dy + first * h * w * outC * 4, dm, mPlane, n * h, w, outC);
    k.columnSums(dm, n * h * pairsPerRow, outC, partial + r * outC * 4);
    for (let j = 0; j < 3; j++) k.rowPairWeightGrad(p + j * pPlane, 0, 0, 0, dm + j * mPlane, 0, dv + j * block, 0, 1, 1, n * h * pairsPerRow, c, outC);
  });
  sumRuns(arena, partial, runs.length, outC, db);
  weightGradFromPoints(k, arena, dv, PAIR_COEFFICIENTS, c, outC, dW);
};

/**
 * y [B, H, W, O] at y = bias + the layer's conv of x [B, H, W, C]; weights [taps·C, O] at `weights`;
 * bias 0: none. With `residual` (C = O, and the own row not on the direct kernels: residualSupported),
 * the residual layer y = x + bias + conv(relu(x)) instead, relu(x) never stored.
 */
export const winogradForwardAt = (
  k: KernelModule<WinogradFunctions>,
  arena: Arena,
  x: number,
  [b, h, w, c]: Shape4,
  weights: number,
  bias: number,
  outC: number,
  taps: number,
  y: number,
  direct: OwnRowDirect,
  residual = false,
): void => {
  const { t, padded, through, block, ownDirect } = passLayout('winogradForwardAt', [b, h, w, c], outC, taps, residual);
  const relu = residual ? 1 : 0;
  if (ownDirect) direct.forward(weights + 3 * block, bias, y);
  const v = transformWeights(k, arena, weights, rowCoefficients(taps), c, outC, false); // [6][through][C][O]
  const { runs, a: u, planeA: uPlane, b: m, planeB: mPlane } = runPlan(arena, b, POINTS, [padded, c], [h * t, outC]);
  for (const [first, n] of runs) {
    k.winogradInput(x + first * h * w * c * 4, u, uPlane, n, h, w, c, t, relu);
    for (let xi = 0; xi < POINTS; xi++) {
      const vx = v + xi * through * block;
      k.rowPairGemm(u + xi * uPlane, padded, 0, t, vx, vx + block, through, m + xi * mPlane, h * t, n, h * t, c, outC);
    }
    k.winogradOutput(m, mPlane, bias, ownDirect ? 2 : bias ? 1 : 0, y + first * h * w * outC * 4, n, h, w, outC, t, residual ? x + first * h * w * c * 4 : 0);
  }
  if (through === 1 && pairs) ownRowForwardPairs(k, arena, x, [b, h, w, c], weights + 3 * block, outC, y, relu);
};

/**
 * dx [B, H, W, C] at dx of winogradForwardAt's conv, given dy [B, H, W, O]: the same passes
 * transposed. With `residualOf` (the residual layer's input h, a pointer; 0: none), the residual
 * layer's: dx = dy + (h > 0) · the conv's input gradient.
 */
export const winogradInputGradAt = (
  k: KernelModule<WinogradFunctions>,
  arena: Arena,
  dy: number,
  [b, h, w, c]: Shape4,
  weights: number,
  outC: number,
  taps: number,
  dx: number,
  direct: OwnRowDirect,
  residualOf = 0,
): void => {
  const { t, padded, through, block, ownDirect } = passLayout('winogradInputGradAt', [b, h, w, c], outC, taps, residualOf !== 0);
  if (ownDirect) direct.inputGrad(weights + 3 * block, dx);
  const vT = transformWeights(k, arena, weights, rowCoefficients(taps), c, outC, true); // [6][through][O][C]
  const { runs, a: du, planeA: uPlane, b: dm, planeB: mPlane } = runPlan(arena, b, POINTS, [h * t, c], [padded, outC]);
  const db = arena.alloc(outC * 4); // (not wanted here)
  for (const [first, n] of runs) {
    k.winogradOutputGrad(dy + first * h * w * outC * 4, dm, mPlane, db, n, h, w, outC, t);
    for (let xi = 0; xi < POINTS; xi++) {
      const vx = vT + xi * through * block;
      // input row y feeds output row y + 1 through the row-above taps, and (6 taps) output row y through the own row's
      if (through === 2) k.rowPairGemm(dm + xi * mPlane, padded, t, 2 * t, vx + block, vx, 2, du + xi * uPlane, h * t, n, h * t, outC, c);
      else k.rowPairGemm(dm + xi * mPlane, padded, 2 * t, 0, vx, 0, 1, du + xi * uPlane, h * t, n, h * t, outC, c);
    }
    k.winogradInputGrad(du, uPlane, dx + first * h * w * c * 4, ownDirect ? 1 : 0, n, h, w, c, t);
  }
  if (through === 1 && pairs) ownRowInputGradPairs(k, arena, dy, [b, h, w, c], weights + 3 * block, outC, dx);
  if (residualOf) k.reluGateResidual(dx, residualOf, dy, b * h * w * c);
};

/** db [O] at db = Σ of the runs' partial sums [runs][O] at partial. */
const sumRuns = (arena: Arena, partial: number, runs: number, outC: number, db: number): void => {
  const f32 = arena.f32();
  for (let o = 0; o < outC; o++) {
    let s = 0;
    for (let r = 0; r < runs; r++) s += f32[partial / 4 + r * outC + o]!;
    f32[db / 4 + o] = s;
  }
};

/** dW [taps·C, O] and db [O] along x only (maps whose height is not a multiple of 4): both rows of taps through F(4, 3). */
const rowsWeightGradAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, dy: number, [b, h, w, c]: Shape4, outC: number, taps: number, dW: number, db: number, relu: number): void => {
  const t = tilesOf(w);
  const padded = (h + 2) * t;
  const block = c * outC * 4;
  const { runs, a: u, planeA: uPlane, b: dm, planeB: mPlane } = runPlan(arena, b, POINTS, [padded, c], [padded, outC]);
  const dv = arena.alloc(POINTS * 2 * block);
  const partial = arena.alloc(runs.length * outC * 4);
  arena.f32().fill(0, dv / 4, dv / 4 + (POINTS * 2 * block) / 4);
  runs.forEach(([first, n], r) => {
    k.winogradOutputGrad(dy + first * h * w * outC * 4, dm, mPlane, partial + r * outC * 4, n, h, w, outC, t);
    k.winogradInput(x + first * h * w * c * 4, u, uPlane, n, h, w, c, t, relu);
    for (let xi = 0; xi < POINTS; xi++) {
      const dvx = dv + xi * 2 * block;
      k.rowPairWeightGrad(u + xi * uPlane, padded, 0, t, dm + xi * mPlane + t * outC * 4, padded, dvx, dvx + block, 2, n, h * t, c, outC);
    }
  });
  sumRuns(arena, partial, runs.length, outC, db);
  weightGradFromPoints(k, arena, dv, rowsCoefficients(taps), c, outC, dW);
};

// ---- the 2-D transform: F(4, 2) along y over F(4, 3) along x, for maps whose height is a multiple of 4 ----

const POINTS_2D = POINTS_Y * POINTS;
const SCRATCH = POINTS_2D * 16; // one tile's 30 points, four channels

/**
 * dW [taps·C, O] and db [O] through the 2-D transform (maps whose height is a multiple of 4): the
 * weight gradient is a sum over every pixel, so mixing rows and columns within tiles is harmless here
 * (it is what the forward pass and the input gradient must not do) — 1.875 products per pixel and tap
 * row pair instead of 3.
 */
const planeWeightGradAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, dy: number, [b, h, w, c]: Shape4, outC: number, taps: number, dW: number, db: number, relu: number): void => {
  const t = tilesOf(w);
  const tilesPerImage = (h / 4) * t; // tiles of 4×4 outputs: the rows of each point's product
  const block = c * outC * 4;
  const { runs, a: u, planeA: uPlane, b: dm, planeB: mPlane } = runPlan(arena, b, POINTS_2D, [tilesPerImage, c], [tilesPerImage, outC]);
  const scratch = arena.alloc(SCRATCH);
  const dv = arena.alloc(POINTS_2D * block);
  const partial = arena.alloc(runs.length * outC * 4);
  arena.f32().fill(0, dv / 4, dv / 4 + (POINTS_2D * block) / 4);
  runs.forEach(([first, n], r) => {
    k.winogradPlaneOutputGrad(dy + first * h * w * outC * 4, dm, partial + r * outC * 4, scratch, mPlane, n, h, w, outC, t);
    k.winogradPlaneInput(x + first * h * w * c * 4, u, scratch, uPlane, n, h, w, c, t, relu);
    for (let p = 0; p < POINTS_2D; p++) k.rowPairWeightGrad(u + p * uPlane, 0, 0, 0, dm + p * mPlane, 0, dv + p * block, 0, 1, 1, n * tilesPerImage, c, outC);
  });
  sumRuns(arena, partial, runs.length, outC, db);
  weightGradFromPoints(k, arena, dv, planeCoefficients(taps), c, outC, dW);
};

/**
 * Every gradient through the 2-D transform (maps whose height is a multiple of 4: planeGradsSupported),
 * dy's transform shared: dx [B, H, W, C] at dx, dW [taps·C, O] at dW, db [O] at db — the conv of relu(x)
 * with relu, and with residualOf ≠ 0 (x's pointer) the residual layer's dx = dy + (x > 0) · convᵀ(dy).
 * dx is exact only in exact arithmetic: its rounding reaches pixels after an output's (at the level of
 * float32 rounding of the gradient), so only a training step's hidden layers take it — the forward pass,
 * and any input gradient asked for exactly (the property laws), stay on the exactly causal path.
 */
export const winogradPlaneGradsAt = (
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
  relu: boolean,
  residualOf = 0,
): void => {
  if (!planeGradsSupported(h)) throw new Error('winogradPlaneGradsAt: needs a height that is a multiple of 4');
  const t = tilesOf(w);
  const tilesPerImage = (h / 4) * t;
  const block = c * outC * 4;
  const coef = planeCoefficients(taps);
  const vT = transformWeights(k, arena, weights, coef, c, outC, true); // [30][O][C]
  const { runs, a: u, planeA: uPlane, b: dm, planeB: mPlane } = runPlan(arena, b, POINTS_2D, [tilesPerImage, c], [tilesPerImage, outC]);
  const du = u; // dU, scattered into dx before U is made: one array for both
  const scratch = arena.alloc(SCRATCH);
  const dv = arena.alloc(POINTS_2D * block);
  const partial = arena.alloc(runs.length * outC * 4);
  arena.f32().fill(0, dv / 4, dv / 4 + (POINTS_2D * block) / 4);
  runs.forEach(([first, n], r) => {
    const pixels = n * tilesPerImage;
    k.winogradPlaneOutputGrad(dy + first * h * w * outC * 4, dm, partial + r * outC * 4, scratch, mPlane, n, h, w, outC, t);
    for (let p = 0; p < POINTS_2D; p++) k.rowPairGemm(dm + p * mPlane, 0, 0, 0, vT + p * block, 0, 1, du + p * uPlane, 0, 1, pixels, outC, c);
    const at = first * h * w * c * 4;
    k.winogradPlaneInputGrad(du, dx + at, scratch, uPlane, n, h, w, c, t);
    if (residualOf) k.reluGateResidual(dx + at, residualOf + at, dy + at, n * h * w * c); // this run's dx, still in cache
    k.winogradPlaneInput(x + first * h * w * c * 4, u, scratch, uPlane, n, h, w, c, t, relu ? 1 : 0);
    for (let p = 0; p < POINTS_2D; p++) k.rowPairWeightGrad(u + p * uPlane, 0, 0, 0, dm + p * mPlane, 0, dv + p * block, 0, 1, 1, pixels, c, outC);
  });
  sumRuns(arena, partial, runs.length, outC, db);
  weightGradFromPoints(k, arena, dv, coef, c, outC, dW);
};

/** Whether winogradPlaneGradsAt takes maps of this height (and it and the 2-D transform are on: setTrainingPlaneGrads, setWinogradPlane). */
export const planeGradsSupported = (height: number): boolean => plane && trainingPlaneGrads && height % 4 === 0;

let trainingPlaneGrads = setting !== 'exact-training-grads';
/** A training step's hidden input gradients through the 2-D transform (default), or exactly causal as everywhere else — for A/B benchmarks and tests. PIXELSTREAMS_WINOGRAD=exact-training-grads turns it off at load. */
export const setTrainingPlaneGrads = (on: boolean): void => {
  trainingPlaneGrads = on;
};

/**
 * dW [taps·C, O] at dW and db [O] at db of the layer, given x [B, H, W, C] and dy [B, H, W, O] (the
 * conv of relu(x) with `relu`: a residual layer's). The 2-D transform where H % 4 = 0, else along x only.
 */
export const winogradWeightGradAt = (k: KernelModule<WinogradFunctions>, arena: Arena, x: number, dy: number, shape: Shape4, outC: number, taps: number, dW: number, db: number, relu = false): void =>
  (shape[1] % 4 === 0 && plane ? planeWeightGradAt : rowsWeightGradAt)(k, arena, x, dy, shape, outC, taps, dW, db, relu ? 1 : 0);

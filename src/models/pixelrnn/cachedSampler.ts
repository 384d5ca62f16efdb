// Cached incremental sampling for the PixelRNNs (Row LSTM and Diagonal BiLSTM, and both networks of
// the Multi-Scale PixelRNN): every value costs O(1) network work — one pixel's column through every
// layer — instead of a whole forward pass. Exact: the same numbers as models/pixelrnn.ts, up to
// float rounding (sums here are Float64).
//
// Scheme (per layer l, pixel (i, j), state h, c; map_l is the layer's input, the residual stream):
//
// Row LSTM — carry the recurrent state row by row.
//   gates(i, j) = K_is ⊛ map_l(i, j−k'..j) + K_ss ⊛ h(i−1, j−1..j+1) [+ condition]; c(i−1, j) → cell.
//   Row i−1 is final when row i starts, so at the start of row i the state-to-state part of the whole
//   row is computed once; at each pixel only the 1×k input-to-state taps (left taps: final; centre:
//   the pixel itself) and the cell run. States of row i become "row i−1" when the row ends.
//
// Diagonal BiLSTM — the left direction is a recurrence in raster order, the right one is row-final.
//   On the skewed map the left state at (i, j) reads the states of (i−1, j) (above) and (i, j−1)
//   (left), and the cell of (i, j−1): all before (i, j) in raster order, so it runs pixel by pixel
//   like the Row LSTM. The right direction at (i, j) reads (i−1, j) and (i, j+1) — the future of row
//   i — but enters the output only shifted down a row: it is needed from row i+1 on, so it runs once
//   per finished row, right to left, over that row's final maps. The skew's padding cells (zero gate
//   inputs, so data-independent) left of column 0 and right of column W−1 are constant states,
//   computed once per layer and direction (padStates). Total work ≈ one forward pass per batch.
//
// Within a pixel (C > 1): output group g of a masked layer sees input groups < g (mask A, the first
// layer) or ≤ g (mask B, everything else) at the centre, and the LSTM cell is element-wise with every
// gate's feature k in group(k); so step c computes only group c of every layer (groups < c are
// already final, groups > c wait for their channel) and the head only for channel c.
// Per-pixel maths: the products and the LSTM cells for the whole batch at once in wasm
// (sampling/pixelMemory.ts: kernels/causalConv.ts segmentGemm, kernels/lstmScan.ts lstmCells — σ and
// tanh from a SIMD exp, as in the training scan; maps, states and weights live in its memory), the
// element-wise sums in plain JS over its view: on wasm a tiny tensor op costs tens of
// µs, more than a pixel. The regular per-row parts — Row LSTM K_ss over row
// i−1, the Diagonal BiLSTM left direction's "above" half of K_ss, the right direction's input-to-state
// (mask applied to the weights) over a finished row — run as one backend matMul per layer per row;
// the sampler owns those few weight tensors until dispose().
//
// Speed against the naive rerun: `npx tsx bench/samplingRecurrent.ts`.

import { classesOf, labelMap, labelsTensor } from '../../conditioning.js';
import { convLayout } from '../../layers/maskedConv.js';
import type { AutoregressiveModel } from '../../model.js';
import { PixelMemory } from '../../sampling/pixelMemory.js';
import { gemvAdd, groupStarts, mat, readParam as readNamed, type Mat } from '../../sampling/positionMath.js';
import type { IncrementalSampler, SamplerFactory } from '../../sampling/types.js';
import { tf, type NamedTensors, type Tensor2D, type Tensor4D } from '../../tf.js';
import { pixelRnnLayout, type RecurrentSpec } from './network.js';

const readParam = (params: NamedTensors, name: string): Float32Array => readNamed(params, name, 'cachedPixelRnn');

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * LSTM cell on features [k0, k1) of one image: gates at g[g0 + ·] laid out [i | f | o | g] (h each),
 * previous cell at cp[cp0 + ·]; writes h and c. Float64 (the padding states, computed once).
 */
const cellInto = (
  g: Float64Array,
  g0: number,
  cp: Float64Array,
  cp0: number,
  h: Float64Array,
  h0: number,
  c: Float64Array,
  c0: number,
  hid: number,
  k0: number,
  k1: number,
): void => {
  for (let k = k0; k < k1; k++) {
    const cn = sigmoid(g[g0 + hid + k]!) * cp[cp0 + k]! + sigmoid(g[g0 + k]!) * Math.tanh(g[g0 + 3 * hid + k]!);
    c[c0 + k] = cn;
    h[h0 + k] = sigmoid(g[g0 + 2 * hid + k]!) * Math.tanh(cn);
  }
};

/** A gated (4h) input-to-state convolution's weights: taps (dx < 0 in the row, then the centre). */
interface Gated {
  readonly w: Float32Array; // [rows, 4h] row-major
  readonly b: Float32Array; // [4h]
  readonly left: readonly number[]; // dx of the taps left in the row; weight rows t·in
  readonly centreRow: number; // first weight row of the centre tap
}

const readGated = (params: NamedTensors, name: string, kw: number, inF: number, hid: number, C: number): Gated => {
  const { table } = convLayout({ name, kh: 1, kw, type: 'B', inFeatures: inF, outFeatures: hid, channels: C });
  return {
    w: readParam(params, `${name}.w`),
    b: readParam(params, `${name}.b`),
    left: table.pastTaps.map((t) => t.dx),
    centreRow: table.pastTaps.length * inF,
  };
};

/**
 * States of the skew's padding cells, which hold zero gate inputs: pad[r] = (h, c) of the cell just
 * before pixel (r, 0) in scan order (the left direction; by mirror symmetry the cell just after
 * (r, W−1) for the right direction). Column −1 is the learned initial state (h0, c0); the row above
 * row 0 is zero. Data-independent: one [H, h] pair per layer and direction.
 */
const padStates = (H: number, hid: number, wss: Mat, h0: Float32Array, c0: Float32Array): { h: Float64Array; c: Float64Array } => {
  const ph = new Float64Array(H * hid);
  const pc = new Float64Array(H * hid);
  for (let r = 0; r < H; r++) for (let k = 0; k < hid; k++) ((ph[r * hid + k] = h0[k]!), (pc[r * hid + k] = c0[k]!));
  const outH = new Float64Array(H * hid);
  const outC = new Float64Array(H * hid);
  outH.set(ph.subarray(0, hid));
  outC.set(pc.subarray(0, hid));
  const g = new Float64Array(4 * hid);
  for (let col = 0; col < H - 1; col++) {
    for (let r = H - 1; r > col; r--) {
      // cell (r, col): reads column col−1 at rows r−1 (above) and r; descending r keeps row r−1 unwritten
      g.fill(0);
      gemvAdd(g, 0, ph, (r - 1) * hid, hid, wss, 0, 0, 4 * hid);
      gemvAdd(g, 0, ph, r * hid, hid, wss, hid, 0, 4 * hid);
      cellInto(g, 0, pc, r * hid, ph, r * hid, pc, r * hid, hid, 0, hid);
    }
    outH.set(ph.subarray((col + 1) * hid, (col + 2) * hid), (col + 1) * hid);
    outC.set(pc.subarray((col + 1) * hid, (col + 2) * hid), (col + 1) * hid);
  }
  return { h: outH, c: outC };
};

/** Condition map [B or 1, H, W, cf] through a layer's 1×1 conditioning weights: [H, W, B, 4h], or null. */
const conditionGates = (condition: Tensor4D | undefined, params: NamedTensors, name: string, batch: number): Float64Array | null => {
  if (!condition) return null;
  const t = tf.tidy(() => {
    const [b, H, W, cf] = condition.shape;
    const w = params[name] as Tensor2D;
    if (!w) throw new Error(`cachedPixelRnn: parameter '${name}' missing from the model`);
    const g = tf.reshape(tf.matMul(tf.reshape(condition, [b * H * W, cf]) as Tensor2D, w), [b, H, W, w.shape[1]]);
    return tf.transpose(tf.broadcastTo(g, [batch, H, W, w.shape[1]]), [1, 2, 0, 3]); // [H, W, B, 4h]
  });
  const out = Float64Array.from(t.dataSync() as Float32Array);
  t.dispose();
  return out;
};

export interface CachedPixelRnnOptions {
  /** Parameter name prefix ('small.' / 'large.' inside a Multi-Scale model). Default ''. */
  readonly prefix?: string;
  /** Conditioning map [B or 1, H, W, c] biasing every layer's gates (Multi-Scale's large network). */
  readonly condition?: Tensor4D;
}

/** The cached sampler of a PixelRNN (Row LSTM or Diagonal BiLSTM) with explicit spec and parameters. */
export const cachedPixelRnn = (
  spec: RecurrentSpec,
  params: NamedTensors,
  batch: number,
  options: CachedPixelRnnOptions = {},
): IncrementalSampler => {
  const { height: H, width: W, channels: C, levels: K, hidden: hid } = spec;
  const B = batch;
  const row = spec.family === 'row-lstm';
  const cf = options.condition ? options.condition.shape[3] : 0;
  const Ly = pixelRnnLayout(spec, options.prefix ?? '', cf);
  const nL = Ly.recurrent.length;
  const F = 2 * hid; // residual stream features
  const G = 4 * hid; // gate features
  const HH = spec.headHidden;
  const outHead = Ly.head1.outFeatures; // C·F
  const gC = groupStarts(C, C);
  const gF = groupStarts(F, C);
  const gH = groupStarts(hid, C);
  const gHH = groupStarts(HH, C);
  const gOut = groupStarts(outHead, C);

  // ── weights (JS, for the data-independent padding states and the per-row backend products) ──
  const inTable = convLayout(Ly.input).table;
  const inPast = inTable.pastTaps;
  const inCentreRow = inTable.centreUsed ? inPast.length * C : -1;
  const kw = row ? (spec as { rowKernel: number }).rowKernel : 1;
  const dirs = row ? ['is'] : ['left.is', 'right.is'];
  const gated = Ly.recurrent.map((r) => dirs.map((d) => readGated(params, `${r.name}.${d}`, kw, F, hid, C)));
  const ssNames = Ly.recurrent.map((r) => (row ? ['ss.w'] : ['left.ss.w', 'right.ss.w']).map((n) => `${r.name}.${n}`));
  const init = Ly.recurrent.map((r) =>
    (row ? [''] : ['left.', 'right.']).map((d) => ({ h: readParam(params, `${r.name}.${d}h0`), c: readParam(params, `${r.name}.${d}c0`) })),
  );
  const cond = Ly.recurrent.map((r) =>
    (row ? ['cond.w'] : ['left.cond.w', 'right.cond.w']).map((n) =>
      cf > 0 ? conditionGates(options.condition, params, `${r.name}.${n}`, B) : null,
    ),
  );
  const pads = row
    ? []
    : Ly.recurrent.map((_, l) => [0, 1].map((d) => padStates(H, hid, mat(readParam(params, ssNames[l]![d]!), G), init[l]![d]!.h, init[l]![d]!.c)));
  const inB = readParam(params, `${Ly.input.name}.b`);
  const outB = Ly.outputs.map((o) => readParam(params, `${o.name}.b`));
  const h0B = readParam(params, `${Ly.head0.name}.b`);
  const h1B = readParam(params, `${Ly.head1.name}.b`);

  // ── the sampler's memory: weights row-major [rows, out], maps and states (offsets in floats) ──
  const mem = new PixelMemory();
  const fill: [number, ArrayLike<number>][] = []; // blocks to copy in once the memory is ready
  const put = (values: ArrayLike<number>): number => {
    const at = mem.alloc(values.length);
    fill.push([at, values]);
    return at;
  };
  const block = (n: number): number => mem.alloc(n);
  const inW = put(readParam(params, `${Ly.input.name}.w`)); //             [taps·C, 2h]
  const outW = Ly.outputs.map((o) => put(readParam(params, `${o.name}.w`))); // [h, 2h]
  const h0W = put(readParam(params, `${Ly.head0.name}.w`)); //             [2h, HH]
  const h1W = put(readParam(params, `${Ly.head1.name}.w`)); //             [HH, out]
  const gatedW = gated.map((ds) => ds.map((d) => put(d.w))); //          [rows, 4h]
  const ssW = ssNames.map((ns) => ns.map((n) => put(readParam(params, n)))); // [3h or 2h, 4h]
  const padAt = pads.map((ds) => ds.map((d) => ({ h: put(d.h), c: put(d.c) }))); // [H, h] each
  const unit = block(H * W * B * C); // [H, W, B, C] pixels in [−1, 1]
  const maps = Array.from({ length: nL + 1 }, () => block(W * B * F)); // [W, B, 2h] row i: map_l, map_L last
  const skips = block(B * F); // [B, 2h] at the current pixel
  const pre = Array.from({ length: nL }, () => block(B * G)); // [B, 4h] gates without the centre tap
  const gates = block(B * G);
  const pre0 = block(B * F);
  const y = block(B * F);
  const hidBuf = block(B * HH);
  const logits = block(B * outHead);
  const sumBuf = block(B * hid); // h + hR(i−1) at one pixel
  const reluBuf = block(B * F);
  // states, [W, B, h] rows: Row LSTM uses (prev, cur) of h and c; the left direction likewise (its c
  // only along the row); the right direction hR / cR of row i−1 (prev) and i (cur).
  const mk = () => Array.from({ length: nL }, () => block(W * B * hid));
  let hPrev = mk();
  let hCur = mk();
  let cPrev = mk();
  let cCur = mk();
  let hRPrev = row ? [] : mk();
  let hRCur = row ? [] : mk();
  const cR = row ? [] : mk();
  mem.ready(Math.max(1, inPast.length, ...gated.map((ds) => ds[0]!.left.length)));
  const f32 = mem.f32;
  for (const [at, values] of fill) f32.set(values, at);

  /** acc[b·ldo + n] += Σ_{k<K} x[b·ldx + k] · w[k·ldw + n] for every image b, n < N: one product for the batch. */
  const gemm = (acc: number, ldo: number, N: number, x: number, ldx: number, K: number, w: number, ldw: number) => {
    if (K <= 0) return;
    mem.clear();
    mem.seg(x, K, w);
    mem.gemm(acc, ldo, B, N, ldx, ldw);
  };

  // The rows-above parts, once per row for every layer on the backend (one matMul per layer):
  // Row LSTM K_ss ⊛ h(i−1) [3h → 4h]; Diagonal BiLSTM left K_ss's "above" half over h(i−1) [h → 4h].
  // The right direction's input-to-state over a finished row likewise (mask applied to the weights).
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (owned.push(t), t);
  const aboveW = Ly.recurrent.map((r) => {
    const w = params[`${r.name}.${row ? 'ss.w' : 'left.ss.w'}`] as Tensor2D; //          [3h or 2h, 4h]
    return row ? w : keep(tf.slice(w, [0, 0], [hid, G]) as Tensor2D); //               [3h or h, 4h]
  });
  const rightW = row
    ? []
    : Ly.recurrent.map((r, l) => {
        const w = readParam(params, `${r.name}.right.is.w`); //                         [2h, 4h]
        for (let f = 0; f < F; f++)
          for (let o = 0; o < G; o++) if (Math.floor((f * C) / F) > Math.floor(((o % hid) * C) / hid)) w[f * G + o] = 0;
        const px = l === 0 ? readParam(params, `${r.name}.right.px.w`) : new Float32Array(0); // [C, 4h], unmasked
        const all = new Float32Array(w.length + px.length);
        all.set(w);
        all.set(px, w.length);
        return keep(tf.tensor2d(all, [F + px.length / G, G]));
      });
  /** Σ per layer ctx[l] [W·B, k_l] × weights[l] [k_l, 4h], read back: [nL, W·B, 4h]. */
  const rowProducts = (ctx: Float32Array[], weights: Tensor2D[]): Float32Array => {
    const t = tf.tidy(() =>
      tf.concat(
        ctx.map((c, l) => tf.matMul(tf.tensor2d(c, [W * B, c.length / (W * B)]), weights[l]!)),
        0,
      ),
    );
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  };
  let aboveRow: Float32Array | null = null; // [nL, W, B, 4h] for the current row; null at row 0 (Diagonal)
  let rightRow: Float32Array = new Float32Array(0); // [nL, W, B, 4h]

  const rowStart = (i: number): void => {
    if (!row) {
      aboveRow = i === 0 ? null : rowProducts(hPrev.map((h) => f32.slice(h, h + W * B * hid)), aboveW);
      return;
    }
    const ctx = Ly.recurrent.map((_, l) => {
      // taps t = 0, 1, 2 read columns j−1, j, j+1 of row i−1 (zero outside; row −1 is h0)
      const c = new Float32Array(W * B * 3 * hid);
      for (let j = 0; j < W; j++)
        for (let b = 0; b < B; b++)
          for (let t = 0; t < 3; t++) {
            const jj = j + t - 1;
            if (jj < 0 || jj >= W) continue;
            const at = ((j * B + b) * 3 + t) * hid;
            if (i === 0) c.set(init[l]![0]!.h, at);
            else c.set(f32.subarray(hPrev[l]! + (jj * B + b) * hid, hPrev[l]! + (jj * B + b + 1) * hid), at);
          }
      return c;
    });
    aboveRow = rowProducts(ctx, aboveW);
    if (i === 0)
      for (let l = 0; l < nL; l++) for (let n = 0; n < W * B; n++) f32.set(init[l]![0]!.c, cPrev[l]! + n * hid);
  };

  /** Gates of layer l at (i, j) without the centre tap: bias, past taps, state-to-state, condition. */
  const pixelStart = (i: number, j: number): void => {
    // first layer: bias + past taps of the 7×7 mask-A convolution, [B, 2h] += [B, taps·C] × [taps·C, 2h]
    for (let b = 0; b < B; b++) f32.set(inB, pre0 + b * F);
    mem.clear();
    inPast.forEach(({ dy, dx }, t) => {
      const ii = i + dy;
      const jj = j + dx;
      if (ii >= 0 && jj >= 0 && jj < W) mem.seg(unit + (ii * W + jj) * B * C, C, inW + t * C * F);
    });
    mem.gemm(pre0, F, B, F, C, F);
    for (let l = 0; l < nL; l++) {
      const p = pre[l]!;
      const gt = gated[l]![0]!;
      const cg = cond[l]![0];
      for (let b = 0; b < B; b++) {
        const at = p + b * G;
        f32.set(gt.b, at);
        if (cg) for (let o = 0; o < G; o++) f32[at + o]! += cg[((i * W + j) * B + b) * G + o]!;
        if (aboveRow) {
          const ab = ((l * W + j) * B + b) * G;
          for (let o = 0; o < G; o++) f32[at + o]! += aboveRow[ab + o]!;
        }
      }
      if (row) {
        mem.clear();
        gt.left.forEach((dx, t) => {
          const jj = j + dx;
          if (jj >= 0) mem.seg(maps[l]! + jj * B * F, F, gatedW[l]![0]! + t * F * G);
        });
        mem.gemm(p, G, B, G, F, G); // [B, 4h] += left taps of map_l
      } else if (j > 0) gemm(p, G, G, hCur[l]! + (j - 1) * B * hid, hid, hid, ssW[l]![0]! + hid * G, G); // left direction: K_ss's h(i, j−1) half
      else gemm(p, G, G, padAt[l]![0]!.h + i * hid, 0, hid, ssW[l]![0]! + hid * G, G); // … the padding state, the same for every image
    }
  };

  /** Output group g of every layer at (i, j): channels < g of the pixel are committed. */
  const pixelGroup = (i: number, j: number, g: number): void => {
    const [f0, f1] = [gF[g]!, gF[g + 1]!];
    const [k0, k1] = [gH[g]!, gH[g + 1]!];
    const m0 = maps[0]! + j * B * F;
    for (let b = 0; b < B; b++)
      for (let f = f0; f < f1; f++) {
        f32[m0 + b * F + f] = f32[pre0 + b * F + f]!;
        f32[skips + b * F + f] = 0;
      }
    if (inCentreRow >= 0) gemm(m0 + f0, F, f1 - f0, unit + (i * W + j) * B * C, C, gC[g]!, inW + inCentreRow * F + f0, F);
    for (let l = 0; l < nL; l++) {
      const map = maps[l]! + j * B * F; //                                            [B, 2h] at (i, j)
      const next = maps[l + 1]! + j * B * F;
      const gt = gated[l]![0]!;
      const p = pre[l]!;
      const hc = hCur[l]!;
      const cc = cCur[l]!;
      for (let b = 0; b < B; b++)
        for (let q = 0; q < 4; q++) for (let k = k0; k < k1; k++) f32[gates + b * G + q * hid + k] = f32[p + b * G + q * hid + k]!;
      for (let q = 0; q < 4; q++) gemm(gates + q * hid + k0, G, k1 - k0, map, F, gF[g + 1]!, gatedW[l]![0]! + gt.centreRow * G + q * hid + k0, G);
      const sAt = j * B * hid;
      // previous cell: Row LSTM c(i−1, j); left direction c(i, j−1) (or the padding state, the same for every image)
      if (row) mem.lstmCells(gates, G, cPrev[l]! + sAt, hid, hc + sAt, hid, cc + sAt, hid, B, hid, k0, k1);
      else if (j > 0) mem.lstmCells(gates, G, cc + sAt - B * hid, hid, hc + sAt, hid, cc + sAt, hid, B, hid, k0, k1);
      else mem.lstmCells(gates, G, padAt[l]![0]!.c + i * hid, 0, hc + sAt, hid, cc + sAt, hid, B, hid, k0, k1);
      for (let b = 0; b < B; b++) for (let f = f0; f < f1; f++) f32[y + b * F + f] = outB[l]![f]!;
      // output: h (+ the right direction of row i−1, shifted down), [B, group] += [B, k1] × [k1, group]
      if (row || i === 0) gemm(y + f0, F, f1 - f0, hc + j * B * hid, hid, k1, outW[l]! + f0, F);
      else {
        const hr = hRPrev[l]! + j * B * hid; // h + hR(i−1) over features [0, k1)
        for (let b = 0; b < B; b++) for (let k = 0; k < k1; k++) f32[sumBuf + b * hid + k] = f32[hc + j * B * hid + b * hid + k]! + f32[hr + b * hid + k]!;
        gemm(y + f0, F, f1 - f0, sumBuf, hid, k1, outW[l]! + f0, F);
      }
      for (let b = 0; b < B; b++)
        for (let f = f0; f < f1; f++) {
          const v = spec.residual ? f32[map + b * F + f]! + f32[y + b * F + f]! : f32[y + b * F + f]!;
          f32[next + b * F + f] = v;
          f32[skips + b * F + f]! += v;
        }
    }
  };

  /** Row i is final: Row LSTM rows advance; the right direction of the Diagonal BiLSTM runs over it. */
  const rowEnd = (i: number): void => {
    if (!row) {
      rightRow = rowProducts(
        Ly.recurrent.map((_, l) => {
          const m = f32.slice(maps[l]!, maps[l]! + W * B * F); //                          [W, B, 2h]
          if (l > 0) return m; // the first layer's right direction also reads the pixels
          const c = new Float32Array(W * B * (F + C)); //                                [W, B, 2h + C]
          for (let n = 0; n < W * B; n++) {
            c.set(m.subarray(n * F, (n + 1) * F), n * (F + C));
            for (let ch = 0; ch < C; ch++) c[n * (F + C) + F + ch] = f32[unit + (i * W * B + n) * C + ch]!;
          }
          return c;
        }),
        rightW,
      );
      for (let l = 0; l < nL; l++) {
        const gt = gated[l]![1]!;
        const wss = ssW[l]![1]!;
        const pad = padAt[l]![1]!;
        const cg = cond[l]![1];
        const hr = hRCur[l]!;
        const cr = cR[l]!;
        for (let j = W - 1; j >= 0; j--) {
          for (let b = 0; b < B; b++) {
            const at = gates + b * G;
            const rr = ((l * W + j) * B + b) * G;
            for (let o = 0; o < G; o++) f32[at + o] = gt.b[o]! + rightRow[rr + o]!;
            if (cg) for (let o = 0; o < G; o++) f32[at + o]! += cg[((i * W + j) * B + b) * G + o]!;
          }
          const sAt = j * B * hid;
          if (i > 0) gemm(gates, G, G, hRPrev[l]! + sAt, hid, hid, wss, G); // K_ss over hR(i−1, j)
          if (j < W - 1) gemm(gates, G, G, hr + sAt + B * hid, hid, hid, wss + hid * G, G); // … and hR(i, j+1)
          else gemm(gates, G, G, pad.h + i * hid, 0, hid, wss + hid * G, G); // … or the padding state
          if (j < W - 1) mem.lstmCells(gates, G, cr + sAt + B * hid, hid, hr + sAt, hid, cr + sAt, hid, B, hid, 0, hid);
          else mem.lstmCells(gates, G, pad.c + i * hid, 0, hr + sAt, hid, cr + sAt, hid, B, hid, 0, hid);
        }
      }
      [hRPrev, hRCur] = [hRCur, hRPrev];
    }
    [hPrev, hCur] = [hCur, hPrev];
    [cPrev, cCur] = [cCur, cPrev];
  };

  // cursor: the next (pixel, group) to compute, as a flat index (i·W + j)·C + g
  let next = 0;
  const advanceTo = (target: number): void => {
    while (next < target) {
      const g = next % C;
      const p = (next - g) / C;
      const j = p % W;
      const i = (p - j) / W;
      if (g === 0) {
        // row i−1 ends here, not at its last group: its last value is committed only after that
        if (j === 0 && i > 0) rowEnd(i - 1);
        if (j === 0) rowStart(i);
        pixelStart(i, j);
      }
      pixelGroup(i, j, g);
      next++;
    }
  };

  const out = new Float32Array(B * outHead); // [B, C·F] at the current pixel: blocks ≤ c are final
  let disposed = false;
  return {
    batch,
    kind: row ? 'cached-row-lstm' : 'cached-diagonal-bilstm',
    headAt: (i, j, c) => {
      if (disposed) throw new Error('cachedPixelRnn: sampler used after dispose');
      const pos = (i * W + j) * C + c;
      if (pos + 1 < next && Math.floor(pos / C) !== Math.floor((next - 1) / C))
        throw new Error(`cachedPixelRnn: position (${i}, ${j}, ${c}) is already past`);
      advanceTo(pos + 1);
      const top = spec.skip ? skips : maps[nL]! + j * B * F;
      const a1 = gHH[c + 1]!;
      const [o0, o1] = [gOut[c]!, gOut[c + 1]!];
      // head0 groups ≤ c (groups < c again: their channels may have been committed without logits)
      for (let b = 0; b < B; b++) for (let f = 0; f < gF[c + 1]!; f++) f32[reluBuf + b * F + f] = Math.max(0, f32[top + b * F + f]!);
      for (let g = 0; g <= c; g++) {
        for (let b = 0; b < B; b++) for (let a = gHH[g]!; a < gHH[g + 1]!; a++) f32[hidBuf + b * HH + a] = h0B[a]!;
        gemm(hidBuf + gHH[g]!, HH, gHH[g + 1]! - gHH[g]!, reluBuf, F, gF[g + 1]!, h0W + gHH[g]!, HH); // [B, HH group] += [B, 2h] × [2h, HH group]
      }
      for (let b = 0; b < B; b++) {
        for (let a = 0; a < a1; a++) f32[hidBuf + b * HH + a] = Math.max(0, f32[hidBuf + b * HH + a]!);
        for (let o = o0; o < o1; o++) f32[logits + b * outHead + o] = h1B[o]!;
      }
      gemm(logits + o0, outHead, o1 - o0, hidBuf, HH, a1, h1W + o0, outHead); //         [B, out group] += [B, HH] × [HH, out group]
      for (let b = 0; b < B; b++) for (let o = o0; o < o1; o++) out[b * outHead + o] = f32[logits + b * outHead + o]!;
      return Float32Array.from(out);
    },
    commit: (i, j, c, values) => {
      const at = unit + (i * W + j) * B * C + c;
      for (let b = 0; b < B; b++) f32[at + b * C] = (values[b]! * 2) / (K - 1) - 1;
    },
    dispose: () => {
      if (!disposed) owned.forEach((t) => t.dispose());
      disposed = true;
    },
  };
};

/** The registry's factory for 'row-lstm' and 'diagonal-bilstm' models. */
export const cachedPixelRnnSampler: SamplerFactory = (model: AutoregressiveModel, batch: number, labels?: Int32Array) => {
  const spec = model.spec as unknown as RecurrentSpec;
  const classes = classesOf(spec);
  if (classes === 0) return cachedPixelRnn(spec, model.params, batch);
  if (!labels || labels.length !== batch)
    throw new Error(`cachedPixelRnn: a class-conditional model needs ${batch} labels, found ${labels ? labels.length : 'none'}`);
  const y = labelsTensor(labels);
  const condition = labelMap(y, classes, spec.height, spec.width); //             [B, H, W, classes]
  try {
    return cachedPixelRnn(spec, model.params, batch, { condition });
  } finally {
    tf.dispose([y, condition]); // read into the sampler's own buffers
  }
};

// AssemblyScript, compiled to src/kernels/crossEntropy.wasm (and .relaxed.wasm) by `npm run build:kernels`.
//
// Softmax cross-entropy of N rows of K logits in one pass per row, no separate softmax kernel:
//   m = max z;  e_k = exp(z_k − m);  s = Σ e_k
//   shift[r] = m − z[r, x_r],  sum[r] = s           (−log softmax(z)[x_r] = shift + log sum: the caller
//                                                    takes the log of N values; a log here would bring
//                                                    AssemblyScript's table-driven log, static data)
//   grad[r]  = e / s − onehot(x_r)                    (the gradient of that with respect to z)
// z [N, K] row-major f32, target [N] i32 in 0..K−1 (grad may be z itself: in place). Needs K % 4 == 0.

import { madd, outerTile2x16 } from './simd';

// exp on four lanes for x ≤ 0 (Cephes expf: range reduction to [−ln2/2, ln2/2], degree-5 polynomial).
// n = round(x·log2 e) comes from adding 1.5·2²³, which also leaves n in the low mantissa bits — no
// f32x4.nearest and no saturating conversion (several instructions each on x86).
@inline function exp4(x: v128): v128 {
  const magic = f32x4.splat(12582912.0); // 1.5 · 2²³
  x = f32x4.max(x, f32x4.splat(-87.0)); // 2ⁿ stays a normal float
  const t = madd(x, f32x4.splat(1.44269504088896341), magic);
  const n = f32x4.sub(t, magic);
  let r = madd(n, f32x4.splat(-0.693359375), x);
  r = madd(n, f32x4.splat(2.12194440e-4), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(madd(f32x4.mul(p, r), r, r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.sub(t, magic), i32x4.splat(127)), 23); // 2ⁿ from n's bits
  return f32x4.mul(y, scale);
}

export function softmaxCrossEntropy(z: usize, target: usize, rows: i32, levels: i32, shift: usize, sum: usize, grad: usize): void {
  const rowBytes = (<usize>levels) << 2;
  for (let r = 0; r < rows; r++) {
    const zr = z + (<usize>r) * rowBytes;
    const gr = grad + (<usize>r) * rowBytes;
    let mv = v128.load(zr);
    for (let k = 4; k < levels; k += 4) mv = f32x4.max(mv, v128.load(zr + ((<usize>k) << 2)));
    const m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    const mm = f32x4.splat(m);
    const t = load<i32>(target + ((<usize>r) << 2));
    const tb = (<usize>t) << 2;
    const zt = load<f32>(zr + tb); // before grad overwrites it (z and grad may be one array)
    let sv = f32x4.splat(0);
    let sw = f32x4.splat(0);
    let k = 0;
    for (; k + 8 <= levels; k += 8) {
      // two independent exps per iteration: the polynomial is one long dependency chain
      const kb = (<usize>k) << 2;
      const e0 = exp4(f32x4.sub(v128.load(zr + kb), mm));
      const e1 = exp4(f32x4.sub(v128.load(zr + kb, 16), mm));
      v128.store(gr + kb, e0);
      v128.store(gr + kb, e1, 16);
      sv = f32x4.add(sv, e0);
      sw = f32x4.add(sw, e1);
    }
    for (; k < levels; k += 4) {
      const kb = (<usize>k) << 2;
      const e = exp4(f32x4.sub(v128.load(zr + kb), mm));
      v128.store(gr + kb, e);
      sv = f32x4.add(sv, e);
    }
    sv = f32x4.add(sv, sw);
    const s = <f64>f32x4.extract_lane(sv, 0) + <f64>f32x4.extract_lane(sv, 1) + <f64>f32x4.extract_lane(sv, 2) + <f64>f32x4.extract_lane(sv, 3);
    const inv = f32x4.splat(<f32>(1.0 / s));
    for (let k = 0; k < levels; k += 4) {
      const kb = (<usize>k) << 2;
      v128.store(gr + kb, f32x4.mul(v128.load(gr + kb), inv));
    }
    store<f32>(gr + tb, load<f32>(gr + tb) - 1.0);
    store<f32>(shift + ((<usize>r) << 2), m - zt);
    store<f32>(sum + ((<usize>r) << 2), <f32>s);
  }
}

// ---- the categorical head fused with its cross-entropy, for a training step ----
//
// A PixelCNN's last layer is a 1×1 conv from inC features to C·K logits (channel c's K in block c),
// and the loss is the softmax cross-entropy of each block. A training step needs the loss, and the
// gradients of the layer's input, weights and bias; here they come in one pass over tiles of P pixels
// of one image, the logits of a tile never leaving L1:
//   z = x·W + b [P, C·K];  per block: m = max z, e = exp(z − m), s = Σ e → shift, sum as above;
//   g = e/s − onehot [P, C·K] (in place);  dx = g·Wᵀ [P, inC];  dW_img += xᵀ·g;  db_img += Σ g.
// The gradients are those of Σ NLL with weight 1 per image: the caller scales them by the loss's
// gradient per image (dx by its pixel's image, dW and db summed over images with those weights),
// which is why dW and db are kept per image [B, inC, C·K], [B, C·K].
// x [N, inC], W [inC, CK], Wᵀ [CK, inC], b [CK], target [N, C] i32; N = B · imagePixels; CK = C·K.
// Needs CK % 16 == 0, inC % 16 == 0, K % 4 == 0. tile: scratch of P · CK floats, P = tilePixels.


/** out [rows, n] = a [rows, k] · b [k, n] (+ bias [n] when bias ≠ 0); rows in pairs (an odd last row alone); n % 16 == 0. */
@inline function tileGemm(a: usize, rows: i32, k: i32, b: usize, n: i32, bias: usize, out: usize): void {
  const aRow = (<usize>k) << 2;
  const bRow = (<usize>n) << 2;
  for (let r = 0; r < rows; r += 2) {
    const two = r + 1 < rows;
    const a0 = a + (<usize>r) * aRow;
    const a1 = two ? a0 + aRow : a0;
    for (let o = 0; o < n; o += 16) {
      const ob = (<usize>o) << 2;
      let c0 = bias ? v128.load(bias + ob) : f32x4.splat(0);
      let c1 = bias ? v128.load(bias + ob, 16) : f32x4.splat(0);
      let c2 = bias ? v128.load(bias + ob, 32) : f32x4.splat(0);
      let c3 = bias ? v128.load(bias + ob, 48) : f32x4.splat(0);
      let d0 = c0;
      let d1 = c1;
      let d2 = c2;
      let d3 = c3;
      let bp = b + ob;
      for (let i = 0; i < k; i++) {
        const s0 = v128.load32_splat(a0 + ((<usize>i) << 2));
        const s1 = v128.load32_splat(a1 + ((<usize>i) << 2));
        const w0 = v128.load(bp);
        const w1 = v128.load(bp, 16);
        const w2 = v128.load(bp, 32);
        const w3 = v128.load(bp, 48);
        c0 = madd(s0, w0, c0);
        c1 = madd(s0, w1, c1);
        c2 = madd(s0, w2, c2);
        c3 = madd(s0, w3, c3);
        d0 = madd(s1, w0, d0);
        d1 = madd(s1, w1, d1);
        d2 = madd(s1, w2, d2);
        d3 = madd(s1, w3, d3);
        bp += bRow;
      }
      const o0 = out + (<usize>r) * bRow + ob;
      v128.store(o0, c0);
      v128.store(o0, c1, 16);
      v128.store(o0, c2, 32);
      v128.store(o0, c3, 48);
      if (two) {
        v128.store(o0 + bRow, d0);
        v128.store(o0 + bRow, d1, 16);
        v128.store(o0 + bRow, d2, 32);
        v128.store(o0 + bRow, d3, 48);
      }
    }
  }
}

/** dw [inC, n] += xᵀ [inC, rows] · g [rows, n], db [n] += Σ_rows g: the weight gradient of one tile; inC even, n % 16 == 0. */
@inline function tileWeightGrad(x: usize, rows: i32, inC: i32, g: usize, n: i32, dw: usize, db: usize): void {
  const xRow = (<usize>inC) << 2;
  const gRow = (<usize>n) << 2;
  for (let o = 0; o < n; o += 16) {
    const ob = (<usize>o) << 2;
    for (let c = 0; c < inC; c += 2) {
      const w0p = dw + (<usize>c) * gRow + ob;
      outerTile2x16(w0p, w0p + gRow, x + ((<usize>c) << 2), xRow, g + ob, gRow, rows);
    }
    let s0 = v128.load(db + ob);
    let s1 = v128.load(db + ob, 16);
    let s2 = v128.load(db + ob, 32);
    let s3 = v128.load(db + ob, 48);
    let gp = g + ob;
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(gp));
      s1 = f32x4.add(s1, v128.load(gp, 16));
      s2 = f32x4.add(s2, v128.load(gp, 32));
      s3 = f32x4.add(s3, v128.load(gp, 48));
      gp += gRow;
    }
    v128.store(db + ob, s0);
    v128.store(db + ob, s1, 16);
    v128.store(db + ob, s2, 32);
    v128.store(db + ob, s3, 48);
  }
}

export function headCrossEntropy(
  x: usize,
  w: usize,
  wT: usize,
  bias: usize,
  target: usize,
  batch: i32,
  imagePixels: i32,
  inC: i32,
  channels: i32,
  levels: i32,
  shift: usize,
  sum: usize,
  dx: usize,
  dw: usize,
  db: usize,
  tile: usize,
  tilePixels: i32,
): void {
  const ck = channels * levels;
  memory.fill(dw, 0, (<usize>(batch * inC * ck)) << 2);
  memory.fill(db, 0, (<usize>(batch * ck)) << 2);
  for (let b = 0; b < batch; b++) {
    const dwImage = dw + ((<usize>(b * inC * ck)) << 2);
    const dbImage = db + ((<usize>(b * ck)) << 2);
    for (let p0 = 0; p0 < imagePixels; p0 += tilePixels) {
      const rows = min(tilePixels, imagePixels - p0);
      const n = b * imagePixels + p0; // the tile's first pixel
      const xt = x + ((<usize>(n * inC)) << 2);
      tileGemm(xt, rows, inC, w, ck, bias, tile);
      // rows·C blocks of K logits, in place → g; shift and sum per block
      softmaxCrossEntropy(tile, target + ((<usize>(n * channels)) << 2), rows * channels, levels, shift + ((<usize>(n * channels)) << 2), sum + ((<usize>(n * channels)) << 2), tile);
      tileGemm(tile, rows, ck, wT, inC, 0, dx + ((<usize>(n * inC)) << 2));
      tileWeightGrad(xt, rows, inC, tile, ck, dwImage, dbImage);
    }
  }
}

// AssemblyScript, compiled to src/kernels/causalConv.wasm by `npm run build:kernels`.
//
// Weight and bias gradient of a causal convolution written as a list of taps, with wasm SIMD:
//   dk[t, c, o] = Σ_{b, y, x} x[b, y + ry_t, x + rx_t, c] · g[b, y, x, o]   (source outside the image: 0)
//   db[o]       = Σ_{b, y, x} g[b, y, x, o]
// x [B, H, W, C] and g [B, H, W, O] are row-major f32; taps holds (ry, rx) pairs as i32.
// Only the taps asked for are computed — a masked 3×3 layer's 5, not the rectangle's 6 — and no
// padded, transposed or im2col copy of x is made. Needs O % 16 == 0 (channels go in pairs, an odd
// last one alone).
//
// Blocking: a block of a few image rows (its x and g rows stay in cache) is swept once per
// (tap, channel pair, 16 outputs); the 2×16 tile of dk lives in eight f32x4 registers meanwhile.

import { madd, outerTile2x16 } from './simd';

const ROWS_PER_BLOCK = 2;

export function causalConvWeightGrad(
  x: usize,
  g: usize,
  taps: usize,
  tapCount: i32,
  dk: usize,
  db: usize,
  batch: i32,
  height: i32,
  width: i32,
  inC: i32,
  outC: i32,
): void {
  memory.fill(dk, 0, (<usize>(tapCount * inC * outC)) << 2);
  memory.fill(db, 0, (<usize>outC) << 2);
  const xStride = (<usize>inC) << 2; // bytes from one pixel of x to the next
  const gStride = (<usize>outC) << 2;
  for (let b = 0; b < batch; b++) {
    for (let y0 = 0; y0 < height; y0 += ROWS_PER_BLOCK) {
      const y1 = min(y0 + ROWS_PER_BLOCK, height);
      for (let t = 0; t < tapCount; t++) {
        const ry = load<i32>(taps + ((<usize>t) << 3));
        const rx = load<i32>(taps + ((<usize>t) << 3) + 4);
        const xLo = max(0, -rx);
        const xHi = min(width, width - rx);
        const yLo = max(y0, -ry);
        if (xHi <= xLo || y1 <= yLo) continue;
        const run = xHi - xLo;
        const pairs = inC & ~1;
        for (let c = 0; c < pairs; c += 2) {
          const dk0 = dk + ((<usize>((t * inC + c) * outC)) << 2);
          const dk1 = dk0 + gStride;
          for (let o = 0; o < outC; o += 16) {
            const oBytes = (<usize>o) << 2;
            let a0 = v128.load(dk0 + oBytes);
            let a1 = v128.load(dk0 + oBytes, 16);
            let a2 = v128.load(dk0 + oBytes, 32);
            let a3 = v128.load(dk0 + oBytes, 48);
            let b0 = v128.load(dk1 + oBytes);
            let b1 = v128.load(dk1 + oBytes, 16);
            let b2 = v128.load(dk1 + oBytes, 32);
            let b3 = v128.load(dk1 + oBytes, 48);
            for (let y = yLo; y < y1; y++) {
              const n = (b * height + y) * width + xLo; // first output pixel of the run
              const s = n + ry * width + rx; // its source pixel
              let xp = x + ((<usize>(s * inC + c)) << 2);
              let gp = g + ((<usize>(n * outC)) << 2) + oBytes;
              for (let i = 0; i < run; i++) {
                const s0 = v128.load32_splat(xp);
                const s1 = v128.load32_splat(xp, 4);
                const g0 = v128.load(gp);
                const g1 = v128.load(gp, 16);
                const g2 = v128.load(gp, 32);
                const g3 = v128.load(gp, 48);
                a0 = madd(s0, g0, a0);
                a1 = madd(s0, g1, a1);
                a2 = madd(s0, g2, a2);
                a3 = madd(s0, g3, a3);
                b0 = madd(s1, g0, b0);
                b1 = madd(s1, g1, b1);
                b2 = madd(s1, g2, b2);
                b3 = madd(s1, g3, b3);
                xp += xStride;
                gp += gStride;
              }
            }
            v128.store(dk0 + oBytes, a0);
            v128.store(dk0 + oBytes, a1, 16);
            v128.store(dk0 + oBytes, a2, 32);
            v128.store(dk0 + oBytes, a3, 48);
            v128.store(dk1 + oBytes, b0);
            v128.store(dk1 + oBytes, b1, 16);
            v128.store(dk1 + oBytes, b2, 32);
            v128.store(dk1 + oBytes, b3, 48);
          }
        }
        if (pairs < inC) {
          // the last channel of an odd count (a first layer reading one image channel)
          const c = pairs;
          const dk0 = dk + ((<usize>((t * inC + c) * outC)) << 2);
          for (let o = 0; o < outC; o += 16) {
            const oBytes = (<usize>o) << 2;
            let a0 = v128.load(dk0 + oBytes);
            let a1 = v128.load(dk0 + oBytes, 16);
            let a2 = v128.load(dk0 + oBytes, 32);
            let a3 = v128.load(dk0 + oBytes, 48);
            for (let y = yLo; y < y1; y++) {
              const n = (b * height + y) * width + xLo;
              const s = n + ry * width + rx;
              let xp = x + ((<usize>(s * inC + c)) << 2);
              let gp = g + ((<usize>(n * outC)) << 2) + oBytes;
              for (let i = 0; i < run; i++) {
                const s0 = v128.load32_splat(xp);
                a0 = madd(s0, v128.load(gp), a0);
                a1 = madd(s0, v128.load(gp, 16), a1);
                a2 = madd(s0, v128.load(gp, 32), a2);
                a3 = madd(s0, v128.load(gp, 48), a3);
                xp += xStride;
                gp += gStride;
              }
            }
            v128.store(dk0 + oBytes, a0);
            v128.store(dk0 + oBytes, a1, 16);
            v128.store(dk0 + oBytes, a2, 32);
            v128.store(dk0 + oBytes, a3, 48);
          }
        }
      }
    }
  }
  // db: Σ over every pixel of g, four vectors at a time
  const pixels = batch * height * width;
  for (let o = 0; o < outC; o += 16) {
    const oBytes = (<usize>o) << 2;
    let d0 = f32x4.splat(0);
    let d1 = f32x4.splat(0);
    let d2 = f32x4.splat(0);
    let d3 = f32x4.splat(0);
    let gp = g + oBytes;
    for (let n = 0; n < pixels; n++) {
      d0 = f32x4.add(d0, v128.load(gp));
      d1 = f32x4.add(d1, v128.load(gp, 16));
      d2 = f32x4.add(d2, v128.load(gp, 32));
      d3 = f32x4.add(d3, v128.load(gp, 48));
      gp += gStride;
    }
    v128.store(db + oBytes, d0);
    v128.store(db + oBytes, d1, 16);
    v128.store(db + oBytes, d2, 32);
    v128.store(db + oBytes, d3, 48);
  }
}

// Forward pass of the same convolution, and (with the taps negated and each tap's weights
// transposed) its input gradient:
//   y[b, y, x, o] = bias[o] + Σ_t Σ_c x[b, y + ry_t, x + rx_t, c] · w[t, c, o]     (x outside the image: 0)
// plus addend[b, y, x, o] when addend is not 0 (a residual sum: map + conv(states)). taps holds (ry, rx) pairs as i32. The source rows an output row reads are kept zero-padded in a ring
// of padTop + padBottom + 1 lines (`ring`, each padLeft + W + padRight pixels, padRight counting a
// spare column: pixels go in pairs), filled one image row at a time as the output row advances — so
// the inner loop has no bounds checks, and no padded copy of the whole map is written and read back
// (that copy cost a few per cent of a training step). tapPointers: scratch for one i32 per tap.
// Two output pixels × 16 outputs per tile, eight f32x4 accumulators. Needs O % 16 == 0.
export function causalConvForward(
  x: usize,
  w: usize,
  bias: usize,
  hasBias: i32,
  addend: usize,
  taps: usize,
  tapCount: i32,
  y: usize,
  batch: i32,
  height: i32,
  width: i32,
  padTop: i32,
  padBottom: i32,
  padLeft: i32,
  padRight: i32,
  inC: i32,
  outC: i32,
  ring: usize,
  tapPointers: usize,
): void {
  const xStride = (<usize>inC) << 2;
  const wStride = (<usize>outC) << 2;
  const zero = f32x4.splat(0);
  const lines = padTop + padBottom + 1;
  const lineBytes = (<usize>(padLeft + width + padRight)) * xStride;
  const leftBytes = (<usize>padLeft) * xStride;
  const rowBytes = (<usize>width) * xStride;
  const rightBytes = (<usize>padRight) * xStride;
  for (let b = 0; b < batch; b++) {
    // the lines of source rows −padTop .. padBottom − 1; each output row adds row + padBottom
    for (let r = -padTop; r < height + padBottom; r++) {
      const line = ring + (<usize>((r + padTop) % lines)) * lineBytes;
      if (r < 0 || r >= height) memory.fill(line, 0, lineBytes);
      else {
        memory.fill(line, 0, leftBytes);
        memory.copy(line + leftBytes, x + (<usize>(b * height + r)) * rowBytes, rowBytes);
        memory.fill(line + leftBytes + rowBytes, 0, rightBytes);
      }
      const row = r - padBottom; // the output row whose last source row this is
      if (row < 0) continue;
      for (let t = 0; t < tapCount; t++) {
        const ry = load<i32>(taps + ((<usize>t) << 3));
        const rx = load<i32>(taps + ((<usize>t) << 3) + 4);
        const source = ring + (<usize>((row + ry + padTop) % lines)) * lineBytes + leftBytes + <usize>(rx * inC * 4);
        store<u32>(tapPointers + ((<usize>t) << 2), <u32>source);
      }
      const outRow = y + (<usize>((b * height + row) * width * outC) << 2);
      for (let o = 0; o < outC; o += 16) {
        const oBytes = (<usize>o) << 2;
        const b0 = hasBias ? v128.load(bias + oBytes) : zero;
        const b1 = hasBias ? v128.load(bias + oBytes, 16) : zero;
        const b2 = hasBias ? v128.load(bias + oBytes, 32) : zero;
        const b3 = hasBias ? v128.load(bias + oBytes, 48) : zero;
        for (let x = 0; x < width; x += 2) {
          let p0 = b0;
          let p1 = b1;
          let p2 = b2;
          let p3 = b3;
          let q0 = b0;
          let q1 = b1;
          let q2 = b2;
          let q3 = b3;
          const here = (<usize>x) * xStride;
          for (let t = 0; t < tapCount; t++) {
            let src = here + <usize>load<u32>(tapPointers + ((<usize>t) << 2));
            let wp = w + (<usize>(t * inC)) * wStride + oBytes;
            for (let c = 0; c < inC; c++) {
              const s0 = v128.load32_splat(src);
              const s1 = v128.load32_splat(src + xStride);
              const w0 = v128.load(wp);
              const w1 = v128.load(wp, 16);
              const w2 = v128.load(wp, 32);
              const w3 = v128.load(wp, 48);
              p0 = madd(s0, w0, p0);
              p1 = madd(s0, w1, p1);
              p2 = madd(s0, w2, p2);
              p3 = madd(s0, w3, p3);
              q0 = madd(s1, w0, q0);
              q1 = madd(s1, w1, q1);
              q2 = madd(s1, w2, q2);
              q3 = madd(s1, w3, q3);
              src += 4;
              wp += wStride;
            }
          }
          const out = outRow + (<usize>x) * wStride + oBytes;
          v128.store(out, p0);
          v128.store(out, p1, 16);
          v128.store(out, p2, 32);
          v128.store(out, p3, 48);
          if (x + 1 < width) {
            v128.store(out + wStride, q0);
            v128.store(out + wStride, q1, 16);
            v128.store(out + wStride, q2, 32);
            v128.store(out + wStride, q3, 48);
          }
        }
      }
      if (addend) {
        // y = addend + bias + the conv: the output row just written (in L1) gets the addend's row
        // (a pass of its own, so that the products' loop above stays as it is without an addend)
        const outRowBytes = (<usize>(width * outC)) << 2;
        const from = addend + (outRow - y);
        for (let f: usize = 0; f < outRowBytes; f += 16) v128.store(outRow + f, f32x4.add(v128.load(outRow + f), v128.load(from + f)));
      }
    }
  }
}

// The per-pixel work of a cached sampler: a causal convolution at one output pixel for a batch of
// images, as a sum of small products, one per (tap, input range) "segment":
//   acc[m, n] += Σ_s Σ_{k < K_s} x_s[m·ldx + k] · w_s[k·ldw + n]        for m < M, n < N
// acc, x_s and w_s are f32 byte pointers (acc rows ldo apart); segs holds nSegs (x_s, K_s, w_s) i32
// triples. A segment is one tap's input block of every image ([M, ldx], the first K_s features) and
// the matching weight rows, so the caller lists only the taps inside the image and the input groups
// the mask lets through. Tiles of 4 rows × 8 outputs in eight f32x4 registers, summed over every
// segment before they are stored; any M and N (narrower tiles and single lanes at the edges).
export function segmentGemm(acc: usize, ldo: i32, M: i32, N: i32, segs: usize, nSegs: i32, ldx: i32, ldw: i32): void {
  const oStride = (<usize>ldo) << 2;
  const xStride = (<usize>ldx) << 2;
  const wStride = (<usize>ldw) << 2;
  let n = 0;
  for (; n + 8 <= N; n += 8) {
    const nBytes = (<usize>n) << 2;
    let m = 0;
    for (; m + 4 <= M; m += 4) {
      const a = acc + (<usize>m) * oStride + nBytes;
      let c00 = v128.load(a);
      let c01 = v128.load(a, 16);
      let c10 = v128.load(a + oStride);
      let c11 = v128.load(a + oStride, 16);
      let c20 = v128.load(a + 2 * oStride);
      let c21 = v128.load(a + 2 * oStride, 16);
      let c30 = v128.load(a + 3 * oStride);
      let c31 = v128.load(a + 3 * oStride, 16);
      for (let s = 0; s < nSegs; s++) {
        const seg = segs + (<usize>s) * 12;
        let xp = (<usize>load<u32>(seg)) + (<usize>m) * xStride;
        const K = load<i32>(seg, 4);
        let wp = (<usize>load<u32>(seg, 8)) + nBytes;
        for (let k = 0; k < K; k++) {
          const w0 = v128.load(wp);
          const w1 = v128.load(wp, 16);
          const x0 = v128.load32_splat(xp);
          const x1 = v128.load32_splat(xp + xStride);
          const x2 = v128.load32_splat(xp + 2 * xStride);
          const x3 = v128.load32_splat(xp + 3 * xStride);
          c00 = madd(x0, w0, c00);
          c01 = madd(x0, w1, c01);
          c10 = madd(x1, w0, c10);
          c11 = madd(x1, w1, c11);
          c20 = madd(x2, w0, c20);
          c21 = madd(x2, w1, c21);
          c30 = madd(x3, w0, c30);
          c31 = madd(x3, w1, c31);
          xp += 4;
          wp += wStride;
        }
      }
      v128.store(a, c00);
      v128.store(a, c01, 16);
      v128.store(a + oStride, c10);
      v128.store(a + oStride, c11, 16);
      v128.store(a + 2 * oStride, c20);
      v128.store(a + 2 * oStride, c21, 16);
      v128.store(a + 3 * oStride, c30);
      v128.store(a + 3 * oStride, c31, 16);
    }
    for (; m < M; m++) {
      const a = acc + (<usize>m) * oStride + nBytes;
      let c0 = v128.load(a);
      let c1 = v128.load(a, 16);
      for (let s = 0; s < nSegs; s++) {
        const seg = segs + (<usize>s) * 12;
        let xp = (<usize>load<u32>(seg)) + (<usize>m) * xStride;
        const K = load<i32>(seg, 4);
        let wp = (<usize>load<u32>(seg, 8)) + nBytes;
        for (let k = 0; k < K; k++) {
          const x0 = v128.load32_splat(xp);
          c0 = madd(x0, v128.load(wp), c0);
          c1 = madd(x0, v128.load(wp, 16), c1);
          xp += 4;
          wp += wStride;
        }
      }
      v128.store(a, c0);
      v128.store(a, c1, 16);
    }
  }
  for (; n + 4 <= N; n += 4) {
    const nBytes = (<usize>n) << 2;
    for (let m = 0; m < M; m++) {
      const a = acc + (<usize>m) * oStride + nBytes;
      let c0 = v128.load(a);
      for (let s = 0; s < nSegs; s++) {
        const seg = segs + (<usize>s) * 12;
        let xp = (<usize>load<u32>(seg)) + (<usize>m) * xStride;
        const K = load<i32>(seg, 4);
        let wp = (<usize>load<u32>(seg, 8)) + nBytes;
        for (let k = 0; k < K; k++) {
          c0 = madd(v128.load32_splat(xp), v128.load(wp), c0);
          xp += 4;
          wp += wStride;
        }
      }
      v128.store(a, c0);
    }
  }
  for (; n < N; n++) {
    const nBytes = (<usize>n) << 2;
    for (let m = 0; m < M; m++) {
      const a = acc + (<usize>m) * oStride + nBytes;
      let c = load<f32>(a);
      for (let s = 0; s < nSegs; s++) {
        const seg = segs + (<usize>s) * 12;
        let xp = (<usize>load<u32>(seg)) + (<usize>m) * xStride;
        const K = load<i32>(seg, 4);
        let wp = (<usize>load<u32>(seg, 8)) + nBytes;
        for (let k = 0; k < K; k++) {
          c += load<f32>(xp) * load<f32>(wp);
          xp += 4;
          wp += wStride;
        }
      }
      store<f32>(a, c);
    }
  }
}

// The residual stream of a cached PixelCNN sampler at one pixel, for features [0, N) of M images:
//   v = first ? sum : stream + sum;  stream = v;  out = max(v, 0)
// sum, stream [M, ld] and out [M, ldOut] are f32 byte pointers (already offset to the first feature).
// With stream = sum and first = 1 it is relu(sum) into out (the head's hidden layer).
export function streamRelu(sum: usize, stream: usize, out: usize, M: i32, N: i32, ld: i32, ldOut: i32, first: i32): void {
  const stride = (<usize>ld) << 2;
  const outStride = (<usize>ldOut) << 2;
  const zero = f32x4.splat(0);
  for (let m = 0; m < M; m++) {
    const s = sum + (<usize>m) * stride;
    const r = stream + (<usize>m) * stride;
    const o = out + (<usize>m) * outStride;
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const at = (<usize>n) << 2;
      const v = first ? v128.load(s + at) : f32x4.add(v128.load(r + at), v128.load(s + at));
      v128.store(r + at, v);
      v128.store(o + at, f32x4.max(v, zero));
    }
    for (; n < N; n++) {
      const at = (<usize>n) << 2;
      const v = first ? load<f32>(s + at) : load<f32>(r + at) + load<f32>(s + at);
      store<f32>(r + at, v);
      store<f32>(o + at, v > 0 ? v : 0);
    }
  }
}

// ---- Winograd F(4, 3) along the row, for a 3×3 mask-B layer and a 2×3 down-shifted one ----
//
// A layer whose taps are the three of the row above (dx = −1, 0, +1) and two or three of its own row
// is, per row of taps, a 1-D correlation along x, so four outputs of a row come from six input
// columns with six products instead of twelve (Lavin & Gray 2016, F(4, 3)):
//   y[4t + i] = Σ_ξ Aᵀ[i, ξ] · M[t, ξ],  M[t, ξ] = Σ_rows U_row[t, ξ] · V_row[ξ],  U[t, ξ] = Σ_k Bᵀ[ξ, k] · x[4t − 1 + k]
// where V_row[ξ] = Σ_k G[ξ, k] · w_row[k] is the row's weights transformed (src/kernels/winograd.ts,
// with mixBlocks below). Each ξ is then a dense product over channels of a map of tiles [B, H, T, C]
// with a one- or two-tap kernel (the tile above, the tile itself): rowPairGemm, and for the weights
// rowPairWeightGrad. Which rows of taps go through the transform, and why a mask-B layer's own row
// does not (exact causality), is winograd.ts's business. Transformed maps are stored ξ-major,
// [6][B][H + 2][T][C] (`plane` bytes from one ξ to the next), with a zero row above and below each
// image so that "the row above" and "the row below" need no bounds checks. Needs C % 4 == 0.

/**
 * What the transforms' loads are raised to, lane by lane (f32x4.pmax, one maxps on x86): 0 with
 * relu set — the input is read as relu(x), for a residual layer conv(relu(h)) that never stores
 * relu(h) — and −∞ (the value itself) without.
 */
@inline function reluFloor(relu: i32): v128 {
  return f32x4.splat(relu ? <f32>0 : -Infinity);
}

/** U [6][B][H + 2][T][C] (rows 0 and H + 1 zero; `plane` bytes from one ξ to the next) from x [B, H, W, C] (read as relu(x) with relu set): the six transformed columns of each tile of four. */
export function winogradInput(x: usize, u: usize, plane: usize, batch: i32, height: i32, width: i32, inC: i32, tiles: i32, relu: i32): void {
  const pixel = (<usize>inC) << 2;
  const zero = f32x4.splat(0);
  const floor = reluFloor(relu);
  const four = f32x4.splat(4);
  const five = f32x4.splat(5);
  const two = f32x4.splat(2);
  const paddedRow = (<usize>tiles) * pixel;
  for (let b = 0; b < batch; b++) {
    const image = u + (<usize>(b * (height + 2))) * paddedRow;
    for (let xi = 0; xi < 6; xi++) {
      memory.fill(image + (<usize>xi) * plane, 0, paddedRow);
      memory.fill(image + (<usize>xi) * plane + (<usize>(height + 1)) * paddedRow, 0, paddedRow);
    }
    for (let y = 0; y < height; y++) {
      const row = x + (<usize>((b * height + y) * width)) * pixel;
      for (let t = 0; t < tiles; t++) {
        const first = 4 * t - 1;
        const out = image + (<usize>((y + 1) * tiles + t)) * pixel;
        for (let c = 0; c < inC; c += 4) {
          const at = row + ((<usize>c) << 2);
          const d0 = first >= 0 ? f32x4.pmax(v128.load(at + <usize>(first * inC * 4)), floor) : zero;
          const d1 = first + 1 < width ? f32x4.pmax(v128.load(at + <usize>((first + 1) * inC * 4)), floor) : zero;
          const d2 = first + 2 < width ? f32x4.pmax(v128.load(at + <usize>((first + 2) * inC * 4)), floor) : zero;
          const d3 = first + 3 < width ? f32x4.pmax(v128.load(at + <usize>((first + 3) * inC * 4)), floor) : zero;
          const d4 = first + 4 < width ? f32x4.pmax(v128.load(at + <usize>((first + 4) * inC * 4)), floor) : zero;
          const d5 = first + 5 < width ? f32x4.pmax(v128.load(at + <usize>((first + 5) * inC * 4)), floor) : zero;
          const o = out + ((<usize>c) << 2);
          // Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
          const d34 = f32x4.add(d3, d4);
          const d4m2 = f32x4.sub(d4, d2);
          const d12 = f32x4.mul(four, f32x4.add(d1, d2));
          const d1m2 = f32x4.mul(four, f32x4.sub(d1, d2));
          const d13 = f32x4.mul(two, f32x4.sub(d3, d1));
          v128.store(o, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
          v128.store(o + plane, f32x4.sub(d34, d12));
          v128.store(o + 2 * plane, f32x4.add(f32x4.sub(d4, d3), d1m2));
          v128.store(o + 3 * plane, f32x4.add(d4m2, d13));
          v128.store(o + 4 * plane, f32x4.sub(d4m2, d13));
          v128.store(o + 5 * plane, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
        }
      }
    }
  }
}

/** What an output column starts from before Aᵀ M is added: y itself (acc), or the base (bias or 0) plus the residual map's value when there is one. */
@inline function outputStart(acc: bool, at: usize, residual: usize, resAt: usize, base: v128): v128 {
  if (acc) return v128.load(at);
  return residual ? f32x4.add(v128.load(resAt), base) : base;
}

/**
 * y [B, H, W, O] = Aᵀ M (mode 0), bias + Aᵀ M (1) or y + Aᵀ M (2), from M [6][B][H][T][O] (unpadded,
 * `plane` bytes per ξ): four output columns per tile. With residual ≠ 0 (mode 0 or 1), the map
 * there [B, H, W, O] is added too: y = residual + bias + Aᵀ M, a residual layer's h + conv.
 */
export function winogradOutput(m: usize, plane: usize, bias: usize, mode: i32, y: usize, batch: i32, height: i32, width: i32, outC: i32, tiles: i32, residual: usize): void {
  const pixel = (<usize>outC) << 2;
  const zero = f32x4.splat(0);
  const two = f32x4.splat(2);
  const four = f32x4.splat(4);
  const eight = f32x4.splat(8);
  for (let r = 0; r < batch * height; r++) {
    const row = y + (<usize>(r * width)) * pixel;
    for (let t = 0; t < tiles; t++) {
      const from = m + (<usize>(r * tiles + t)) * pixel;
      const col = 4 * t;
      const to = row + (<usize>col) * pixel;
      const res = residual + (<usize>(r * width + col)) * pixel;
      for (let c = 0; c < outC; c += 4) {
        const cb = (<usize>c) << 2;
        const base = mode == 1 ? v128.load(bias + cb) : zero;
        const m0 = v128.load(from + cb);
        const m1 = v128.load(from + cb + plane);
        const m2 = v128.load(from + cb + 2 * plane);
        const m3 = v128.load(from + cb + 3 * plane);
        const m4 = v128.load(from + cb + 4 * plane);
        const m5 = v128.load(from + cb + 5 * plane);
        // Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
        const s12 = f32x4.add(m1, m2);
        const d12 = f32x4.sub(m1, m2);
        const s34 = f32x4.add(m3, m4);
        const d34 = f32x4.sub(m3, m4);
        const acc = mode == 2;
        v128.store(to + cb, f32x4.add(outputStart(acc, to + cb, residual, res + cb, base), f32x4.add(f32x4.add(m0, s12), s34)));
        if (col + 1 < width) v128.store(to + pixel + cb, f32x4.add(outputStart(acc, to + pixel + cb, residual, res + pixel + cb, base), f32x4.add(d12, f32x4.mul(two, d34))));
        if (col + 2 < width) v128.store(to + 2 * pixel + cb, f32x4.add(outputStart(acc, to + 2 * pixel + cb, residual, res + 2 * pixel + cb, base), f32x4.add(s12, f32x4.mul(four, s34))));
        if (col + 3 < width)
          v128.store(to + 3 * pixel + cb, f32x4.add(outputStart(acc, to + 3 * pixel + cb, residual, res + 3 * pixel + cb, base), f32x4.add(f32x4.add(d12, f32x4.mul(eight, d34)), m5)));
      }
    }
  }
}

/** dM [6][B][H + 2][T][O] (rows 0 and H + 1 zero, `plane` bytes per ξ) = A · dy, the transpose of winogradOutput; db [O] = Σ dy. */
export function winogradOutputGrad(dy: usize, dm: usize, plane: usize, db: usize, batch: i32, height: i32, width: i32, outC: i32, tiles: i32): void {
  const pixel = (<usize>outC) << 2;
  const paddedRow = (<usize>tiles) * pixel;
  const zero = f32x4.splat(0);
  const two = f32x4.splat(2);
  const four = f32x4.splat(4);
  const eight = f32x4.splat(8);
  memory.fill(db, 0, pixel);
  for (let b = 0; b < batch; b++) {
    const image = dm + (<usize>(b * (height + 2))) * paddedRow;
    for (let xi = 0; xi < 6; xi++) {
      memory.fill(image + (<usize>xi) * plane, 0, paddedRow);
      memory.fill(image + (<usize>xi) * plane + (<usize>(height + 1)) * paddedRow, 0, paddedRow);
    }
    for (let y = 0; y < height; y++) {
      const row = dy + (<usize>((b * height + y) * width)) * pixel;
      for (let t = 0; t < tiles; t++) {
        const col = 4 * t;
        const from = row + (<usize>col) * pixel;
        const to = image + (<usize>((y + 1) * tiles + t)) * pixel;
        for (let c = 0; c < outC; c += 4) {
          const cb = (<usize>c) << 2;
          const g0 = v128.load(from + cb);
          const g1 = col + 1 < width ? v128.load(from + pixel + cb) : zero;
          const g2 = col + 2 < width ? v128.load(from + 2 * pixel + cb) : zero;
          const g3 = col + 3 < width ? v128.load(from + 3 * pixel + cb) : zero;
          v128.store(db + cb, f32x4.add(v128.load(db + cb), f32x4.add(f32x4.add(g0, g1), f32x4.add(g2, g3))));
          const s02 = f32x4.add(g0, f32x4.mul(four, g2));
          const d13 = f32x4.add(f32x4.mul(two, g1), f32x4.mul(eight, g3));
          const e02 = f32x4.add(g0, g2);
          const e13 = f32x4.add(g1, g3);
          v128.store(to + cb, g0);
          v128.store(to + plane + cb, f32x4.add(e02, e13));
          v128.store(to + 2 * plane + cb, f32x4.sub(e02, e13));
          v128.store(to + 3 * plane + cb, f32x4.add(s02, d13));
          v128.store(to + 4 * plane + cb, f32x4.sub(s02, d13));
          v128.store(to + 5 * plane + cb, g3);
        }
      }
    }
  }
}

/**
 * Adds one transformed tile's six columns back into a row of dx: column first + k (those inside
 * 0..width) gets Σ_ξ Bᵀ[ξ, k] · u_ξ — the transpose of winogradInput's transform. `row` points at
 * the row's pixel 0, channel block included; tiles overlap by two columns, hence the sums.
 */
@inline function addTileColumns(row: usize, first: i32, width: i32, pixel: usize, u0: v128, u1: v128, u2: v128, u3: v128, u4: v128, u5: v128): void {
  const two = f32x4.splat(2);
  const four = f32x4.splat(4);
  const five = f32x4.splat(5);
  const s12 = f32x4.add(u1, u2);
  const d21 = f32x4.sub(u2, u1);
  const s34 = f32x4.add(u3, u4);
  const d43 = f32x4.sub(u4, u3);
  if (first >= 0) {
    const at = row + (<usize>first) * pixel;
    v128.store(at, f32x4.add(v128.load(at), f32x4.mul(four, u0)));
  }
  const k1 = f32x4.add(f32x4.mul(four, f32x4.add(d21, u5)), f32x4.mul(two, d43));
  const k2 = f32x4.sub(f32x4.sub(f32x4.mul(f32x4.splat(-5), u0), f32x4.mul(four, s12)), s34);
  const k3 = f32x4.sub(f32x4.sub(f32x4.neg(d21), f32x4.mul(two, d43)), f32x4.mul(five, u5));
  const k4 = f32x4.add(f32x4.add(u0, s12), s34);
  if (first + 1 < width) {
    const at = row + (<usize>(first + 1)) * pixel;
    v128.store(at, f32x4.add(v128.load(at), k1));
  }
  if (first + 2 < width) {
    const at = row + (<usize>(first + 2)) * pixel;
    v128.store(at, f32x4.add(v128.load(at), k2));
  }
  if (first + 3 < width) {
    const at = row + (<usize>(first + 3)) * pixel;
    v128.store(at, f32x4.add(v128.load(at), k3));
  }
  if (first + 4 < width) {
    const at = row + (<usize>(first + 4)) * pixel;
    v128.store(at, f32x4.add(v128.load(at), k4));
  }
  if (first + 5 < width) {
    const at = row + (<usize>(first + 5)) * pixel;
    v128.store(at, f32x4.add(v128.load(at), u5));
  }
}

/** dx [B, H, W, C] (+)= B · dU, the transpose of winogradInput (tiles overlap by two columns: summed), from dU [6][B][H][T][C] (unpadded, `plane` bytes per ξ); accumulate: add to dx. */
export function winogradInputGrad(du: usize, plane: usize, dx: usize, accumulate: i32, batch: i32, height: i32, width: i32, inC: i32, tiles: i32): void {
  const pixel = (<usize>inC) << 2;
  if (!accumulate) memory.fill(dx, 0, (<usize>(batch * height * width)) * pixel);
  for (let r = 0; r < batch * height; r++) {
    const row = dx + (<usize>(r * width)) * pixel;
    for (let t = 0; t < tiles; t++) {
      const first = 4 * t - 1;
      const from = du + (<usize>(r * tiles + t)) * pixel;
      for (let c = 0; c < inC; c += 4) {
        const cb = (<usize>c) << 2;
        const u0 = v128.load(from + cb);
        const u1 = v128.load(from + cb + plane);
        const u2 = v128.load(from + cb + 2 * plane);
        const u3 = v128.load(from + cb + 3 * plane);
        const u4 = v128.load(from + cb + 4 * plane);
        const u5 = v128.load(from + cb + 5 * plane);
        addTileColumns(row + cb, first, width, pixel, u0, u1, u2, u3, u4, u5); // column k of the tile gets Σ_ξ Bᵀ[ξ, k] · dU[ξ]
      }
    }
  }
}

const GEMM_BLOCK = 32; // pixels of a whose rows stay in cache while every output block sweeps them

/**
 * One transformed point's product, for every image: a two-tap convolution over a map of tiles,
 *   out[b, p] = a[b, p + s0] · w0 + a[b, p + s1] · w1        (p < pixels; a, out in pixels of inC, outC)
 * or with taps = 1 the plain product out[b, p] = a[b, p + s0] · w0 (a point of the 2-D transform).
 * a's images are aImage pixels apart, out's outImage; w0, w1 [inC, outC]. Tiles of 2 pixels × 16
 * outputs in eight f32x4 registers. Needs outC % 16 == 0.
 */
export function rowPairGemm(a: usize, aImage: i32, s0: i32, s1: i32, w0: usize, w1: usize, taps: i32, out: usize, outImage: i32, batch: i32, pixels: i32, inC: i32, outC: i32): void {
  const aStride = (<usize>inC) << 2;
  const oStride = (<usize>outC) << 2;
  const zero = f32x4.splat(0);
  for (let b = 0; b < batch; b++) {
    const aBase = a + (<usize>(b * aImage)) * aStride;
    const oBase = out + (<usize>(b * outImage)) * oStride;
    for (let p0 = 0; p0 < pixels; p0 += GEMM_BLOCK) {
      const p1 = min(p0 + GEMM_BLOCK, pixels);
      for (let o = 0; o < outC; o += 16) {
        const oBytes = (<usize>o) << 2;
        for (let p = p0; p < p1; p += 2) {
          let p_0 = zero;
          let p_1 = zero;
          let p_2 = zero;
          let p_3 = zero;
          let q_0 = zero;
          let q_1 = zero;
          let q_2 = zero;
          let q_3 = zero;
          const pair = p + 1 < p1 ? aStride : 0; // a lone last pixel computes itself twice
          for (let k = 0; k < taps; k++) {
            let src = aBase + (<usize>(p + (k ? s1 : s0))) * aStride;
            let wp = (k ? w1 : w0) + oBytes;
            for (let c = 0; c < inC; c++) {
              const x0 = v128.load32_splat(src);
              const x1 = v128.load32_splat(src + pair);
              const v0 = v128.load(wp);
              const v1 = v128.load(wp, 16);
              const v2 = v128.load(wp, 32);
              const v3 = v128.load(wp, 48);
              p_0 = madd(x0, v0, p_0);
              p_1 = madd(x0, v1, p_1);
              p_2 = madd(x0, v2, p_2);
              p_3 = madd(x0, v3, p_3);
              q_0 = madd(x1, v0, q_0);
              q_1 = madd(x1, v1, q_1);
              q_2 = madd(x1, v2, q_2);
              q_3 = madd(x1, v3, q_3);
              src += 4;
              wp += oStride;
            }
          }
          const to = oBase + (<usize>p) * oStride + oBytes;
          v128.store(to, p_0);
          v128.store(to, p_1, 16);
          v128.store(to, p_2, 32);
          v128.store(to, p_3, 48);
          if (pair) {
            v128.store(to + oStride, q_0);
            v128.store(to + oStride, q_1, 16);
            v128.store(to + oStride, q_2, 32);
            v128.store(to + oStride, q_3, 48);
          }
        }
      }
    }
  }
}

/**
 * The weight gradient of rowPairGemm, added to dw0 and dw1 [inC, outC] (dw1 only with taps = 2):
 *   dw0 += Σ_{b, p} a[b, p + s0]ᵀ · g[b, p],  dw1 += Σ_{b, p} a[b, p + s1]ᵀ · g[b, p]
 * A block of pixels (its a and g rows stay in cache) is swept once per (channel pair, 16 outputs);
 * the 2×16 tile lives in eight f32x4 registers meanwhile. Needs inC even and outC % 16 == 0.
 */
export function rowPairWeightGrad(a: usize, aImage: i32, s0: i32, s1: i32, g: usize, gImage: i32, dw0: usize, dw1: usize, taps: i32, batch: i32, pixels: i32, inC: i32, outC: i32): void {
  const aStride = (<usize>inC) << 2;
  const gStride = (<usize>outC) << 2;
  for (let b = 0; b < batch; b++) {
    const aBase = a + (<usize>(b * aImage)) * aStride;
    const gBase = g + (<usize>(b * gImage)) * gStride;
    for (let p0 = 0; p0 < pixels; p0 += 2 * GEMM_BLOCK) {
      const run = min(p0 + 2 * GEMM_BLOCK, pixels) - p0;
      for (let k = 0; k < taps; k++) {
        const dw = k ? dw1 : dw0;
        const source = aBase + (<usize>(p0 + (k ? s1 : s0))) * aStride;
        for (let c = 0; c < inC; c += 2) {
          const d0 = dw + (<usize>(c * outC)) * 4;
          const d1 = d0 + gStride;
          for (let o = 0; o < outC; o += 16) {
            const oBytes = (<usize>o) << 2;
            outerTile2x16(d0 + oBytes, d1 + oBytes, source + ((<usize>c) << 2), aStride, gBase + (<usize>p0) * gStride + oBytes, gStride, run);
          }
        }
      }
    }
  }
}

// ---- the 2-D transform: F(4, 2) along y (the row above and the own row) over F(4, 3) along x ----
// Tiles of 4×4 outputs read 5 rows × 6 columns of input; the 30 transformed points of a tile are
// stored point-major, [5][6][B][S][T][·] (S = H / 4 tile rows; needs H % 4 == 0), so that each point
// is one dense [B·S·T, C] · [C, O] product (rowPairGemm with one tap); `plane` is the bytes from one
// point to the next. Each transform works on one
// tile and four channels at a time, through `scratch` (30 f32x4) between its x and y halves.
// Bᵀ along y = [2 −1 −2 1 0; 0 −2 −1 1 0; 0 2 −3 1 0; 0 −1 0 1 0; 0 2 −1 −2 1], Aᵀ = [1 1 1 1 0;
// 0 1 −1 2 0; 0 1 1 4 0; 0 1 −1 8 1] (points 0, 1, −1, 2, ∞).

/** U [5][6][B][S][T][C] from x [B, H, W, C]: the 30 transformed points of each tile (rows 4s − 1 .. 4s + 3, columns 4t − 1 .. 4t + 4). */
export function winogradPlaneInput(x: usize, u: usize, scratch: usize, plane: usize, batch: i32, height: i32, width: i32, inC: i32, tiles: i32, relu: i32): void {
  const pixel = (<usize>inC) << 2;
  const tileRows = height >> 2;
  const zero = f32x4.splat(0);
  const floor = reluFloor(relu);
  const two = f32x4.splat(2);
  const three = f32x4.splat(3);
  const four = f32x4.splat(4);
  const five = f32x4.splat(5);
  for (let b = 0; b < batch; b++)
    for (let s = 0; s < tileRows; s++)
      for (let t = 0; t < tiles; t++) {
        const first = 4 * t - 1;
        const out = u + (<usize>((b * tileRows + s) * tiles + t)) * pixel;
        for (let c = 0; c < inC; c += 4) {
          const cb = (<usize>c) << 2;
          for (let r = 0; r < 5; r++) {
            const y = 4 * s - 1 + r;
            const sp = scratch + (<usize>(r * 6)) * 16;
            if (y < 0) {
              for (let xi = 0; xi < 6; xi++) v128.store(sp + (<usize>xi) * 16, zero);
              continue;
            }
            const at = x + (<usize>((b * height + y) * width)) * pixel + cb;
            const d0 = first >= 0 ? f32x4.pmax(v128.load(at + <usize>(first * inC * 4)), floor) : zero;
            const d1 = first + 1 < width ? f32x4.pmax(v128.load(at + <usize>((first + 1) * inC * 4)), floor) : zero;
            const d2 = first + 2 < width ? f32x4.pmax(v128.load(at + <usize>((first + 2) * inC * 4)), floor) : zero;
            const d3 = first + 3 < width ? f32x4.pmax(v128.load(at + <usize>((first + 3) * inC * 4)), floor) : zero;
            const d4 = first + 4 < width ? f32x4.pmax(v128.load(at + <usize>((first + 4) * inC * 4)), floor) : zero;
            const d5 = first + 5 < width ? f32x4.pmax(v128.load(at + <usize>((first + 5) * inC * 4)), floor) : zero;
            const d34 = f32x4.add(d3, d4);
            const d4m2 = f32x4.sub(d4, d2);
            const d12 = f32x4.mul(four, f32x4.add(d1, d2));
            const d1m2 = f32x4.mul(four, f32x4.sub(d1, d2));
            const d13 = f32x4.mul(two, f32x4.sub(d3, d1));
            v128.store(sp, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
            v128.store(sp, f32x4.sub(d34, d12), 16);
            v128.store(sp, f32x4.add(f32x4.sub(d4, d3), d1m2), 32);
            v128.store(sp, f32x4.add(d4m2, d13), 48);
            v128.store(sp, f32x4.sub(d4m2, d13), 64);
            v128.store(sp, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5), 80);
          }
          for (let xi = 0; xi < 6; xi++) {
            const sp = scratch + (<usize>xi) * 16;
            const r0 = v128.load(sp);
            const r1 = v128.load(sp, 96);
            const r2 = v128.load(sp, 192);
            const r3 = v128.load(sp, 288);
            const r4 = v128.load(sp, 384);
            const o = out + cb + (<usize>xi) * plane;
            const tr1 = f32x4.mul(two, r1);
            v128.store(o, f32x4.add(f32x4.sub(f32x4.sub(f32x4.mul(two, r0), r1), f32x4.mul(two, r2)), r3));
            v128.store(o + 6 * plane, f32x4.sub(f32x4.sub(r3, r2), tr1));
            v128.store(o + 12 * plane, f32x4.add(f32x4.sub(tr1, f32x4.mul(three, r2)), r3));
            v128.store(o + 18 * plane, f32x4.sub(r3, r1));
            v128.store(o + 24 * plane, f32x4.add(f32x4.sub(f32x4.sub(tr1, r2), f32x4.mul(two, r3)), r4));
          }
        }
      }
}

/**
 * dx [B, H, W, C] = the transpose of winogradPlaneInput applied to dU [5][6][B][S][T][C] (tiles
 * overlap by a row and two columns: summed) — an input gradient through the 2-D transform. Exact
 * only in exact arithmetic: rounding reaches pixels after an output's (a training step's hidden
 * layers may take it; winograd.ts says when).
 */
export function winogradPlaneInputGrad(du: usize, dx: usize, scratch: usize, plane: usize, batch: i32, height: i32, width: i32, inC: i32, tiles: i32): void {
  const pixel = (<usize>inC) << 2;
  const tileRows = height >> 2;
  const two = f32x4.splat(2);
  const three = f32x4.splat(3);
  memory.fill(dx, 0, (<usize>(batch * height * width)) * pixel);
  for (let b = 0; b < batch; b++)
    for (let s = 0; s < tileRows; s++)
      for (let t = 0; t < tiles; t++) {
        const first = 4 * t - 1;
        const from = du + (<usize>((b * tileRows + s) * tiles + t)) * pixel;
        for (let c = 0; c < inC; c += 4) {
          const cb = (<usize>c) << 2;
          // along y: row r of the tile gets Σ_ξy BYᵀ[ξy, r] · dU[ξy]
          for (let xi = 0; xi < 6; xi++) {
            const o = from + cb + (<usize>xi) * plane;
            const g0 = v128.load(o);
            const g1 = v128.load(o + 6 * plane);
            const g2 = v128.load(o + 12 * plane);
            const g3 = v128.load(o + 18 * plane);
            const g4 = v128.load(o + 24 * plane);
            const tg4 = f32x4.mul(two, g4);
            const sp = scratch + (<usize>xi) * 16;
            v128.store(sp, f32x4.mul(two, g0));
            v128.store(sp, f32x4.add(f32x4.sub(f32x4.sub(f32x4.mul(two, f32x4.sub(g2, g1)), g0), g3), tg4), 96);
            v128.store(sp, f32x4.neg(f32x4.add(f32x4.add(f32x4.mul(two, g0), g1), f32x4.add(f32x4.mul(three, g2), g4))), 192);
            v128.store(sp, f32x4.sub(f32x4.add(f32x4.add(g0, g1), f32x4.add(g2, g3)), tg4), 288);
            v128.store(sp, g4, 384);
          }
          // along x: column k gets Σ_ξ Bᵀ[ξ, k] · (row r's point ξ), as winogradInputGrad
          for (let r = 0; r < 5; r++) {
            const y = 4 * s - 1 + r;
            if (y < 0) continue;
            const sp = scratch + (<usize>(r * 6)) * 16;
            const u0 = v128.load(sp);
            const u1 = v128.load(sp, 16);
            const u2 = v128.load(sp, 32);
            const u3 = v128.load(sp, 48);
            const u4 = v128.load(sp, 64);
            const u5 = v128.load(sp, 80);
            const row = dx + (<usize>((b * height + y) * width)) * pixel + cb;
            addTileColumns(row, first, width, pixel, u0, u1, u2, u3, u4, u5);
          }
        }
      }
}

/** dM [5][6][B][S][T][O] from dy [B, H, W, O]: the transpose of winogradPlaneOutput; db [O] = Σ dy. */
export function winogradPlaneOutputGrad(dy: usize, dm: usize, db: usize, scratch: usize, plane: usize, batch: i32, height: i32, width: i32, outC: i32, tiles: i32): void {
  const pixel = (<usize>outC) << 2;
  const tileRows = height >> 2;
  const zero = f32x4.splat(0);
  const two = f32x4.splat(2);
  const four = f32x4.splat(4);
  const eight = f32x4.splat(8);
  memory.fill(db, 0, pixel);
  for (let b = 0; b < batch; b++)
    for (let s = 0; s < tileRows; s++)
      for (let t = 0; t < tiles; t++) {
        const col = 4 * t;
        const to = dm + (<usize>((b * tileRows + s) * tiles + t)) * pixel;
        for (let c = 0; c < outC; c += 4) {
          const cb = (<usize>c) << 2;
          let sum = zero;
          for (let i = 0; i < 4; i++) {
            const from = dy + (<usize>((b * height + 4 * s + i) * width + col)) * pixel + cb;
            const g0 = v128.load(from);
            const g1 = col + 1 < width ? v128.load(from + pixel) : zero;
            const g2 = col + 2 < width ? v128.load(from + 2 * pixel) : zero;
            const g3 = col + 3 < width ? v128.load(from + 3 * pixel) : zero;
            sum = f32x4.add(sum, f32x4.add(f32x4.add(g0, g1), f32x4.add(g2, g3)));
            const s02 = f32x4.add(g0, f32x4.mul(four, g2));
            const d13 = f32x4.add(f32x4.mul(two, g1), f32x4.mul(eight, g3));
            const e02 = f32x4.add(g0, g2);
            const e13 = f32x4.add(g1, g3);
            const sp = scratch + (<usize>(i * 6)) * 16;
            v128.store(sp, g0);
            v128.store(sp, f32x4.add(e02, e13), 16);
            v128.store(sp, f32x4.sub(e02, e13), 32);
            v128.store(sp, f32x4.add(s02, d13), 48);
            v128.store(sp, f32x4.sub(s02, d13), 64);
            v128.store(sp, g3, 80);
          }
          v128.store(db + cb, f32x4.add(v128.load(db + cb), sum));
          for (let xi = 0; xi < 6; xi++) {
            const sp = scratch + (<usize>xi) * 16;
            const g0 = v128.load(sp);
            const g1 = v128.load(sp, 96);
            const g2 = v128.load(sp, 192);
            const g3 = v128.load(sp, 288);
            const s02 = f32x4.add(g0, f32x4.mul(four, g2));
            const d13 = f32x4.add(f32x4.mul(two, g1), f32x4.mul(eight, g3));
            const e02 = f32x4.add(g0, g2);
            const e13 = f32x4.add(g1, g3);
            const o = to + cb + (<usize>xi) * plane;
            v128.store(o, g0);
            v128.store(o + 6 * plane, f32x4.add(e02, e13));
            v128.store(o + 12 * plane, f32x4.sub(e02, e13));
            v128.store(o + 18 * plane, f32x4.add(s02, d13));
            v128.store(o + 24 * plane, g3);
          }
        }
      }
}


/**
 * dst[j] = Σ_k coef[j, k] · src[k] over blocks of `floats` f32 (a multiple of 4) — the Winograd weight
 * transforms (a layer's taps to its points, and the gradient back): coef [nOut, nIn] f32, blocks
 * contiguous in src and dst.
 */
export function mixBlocks(src: usize, dst: usize, coef: usize, nIn: i32, nOut: i32, floats: i32): void {
  const bytes = (<usize>floats) << 2;
  for (let j = 0; j < nOut; j++) {
    const out = dst + (<usize>j) * bytes;
    memory.fill(out, 0, bytes);
    for (let k = 0; k < nIn; k++) {
      const c = load<f32>(coef + ((<usize>(j * nIn + k)) << 2));
      if (c == 0) continue;
      const cv = f32x4.splat(c);
      const from = src + (<usize>k) * bytes;
      for (let f: usize = 0; f < bytes; f += 16) v128.store(out + f, madd(cv, v128.load(from + f), v128.load(out + f)));
    }
  }
}

// ---- a mask-B layer's own row (taps left and centre) in pairs of outputs, exactly causal ----
// y[2t] = d[2t−1]·Wl + d[2t]·Wc and y[2t+1] = d[2t]·Wl + d[2t+1]·Wc share m = d[2t]·(Wl + Wc):
//   y[2t] = m + (d[2t−1] − d[2t])·Wl,   y[2t+1] = m + (d[2t+1] − d[2t])·Wc
// — three products for two outputs instead of four, and each output still reads only its own two
// inputs (so no later pixel enters it, not even at rounding level: Winograd's tiles would). The
// three operands P0 = d[2t], P1 = d[2t−1] − d[2t], P2 = d[2t+1] − d[2t] are stored [3][rows·T2][C]
// (T2 = ⌈W/2⌉ pairs a row, `plane` bytes from one to the next); each is one product (rowPairGemm).

/** P [3][rows·T2][C] from x [rows, W, C] (read as relu(x) with relu set): the pair operands (columns outside the row read 0). */
export function pairInput(x: usize, p: usize, plane: usize, rows: i32, width: i32, inC: i32, relu: i32): void {
  const pixel = (<usize>inC) << 2;
  const pairs = (width + 1) >> 1;
  const zero = f32x4.splat(0);
  const floor = reluFloor(relu);
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * width)) * pixel;
    for (let t = 0; t < pairs; t++) {
      const col = 2 * t;
      const out = p + (<usize>(r * pairs + t)) * pixel;
      for (let c = 0; c < inC; c += 4) {
        const cb = (<usize>c) << 2;
        const here = row + (<usize>col) * pixel + cb;
        const d0 = f32x4.pmax(v128.load(here), floor);
        const left = col > 0 ? f32x4.pmax(v128.load(here - pixel), floor) : zero;
        const right = col + 1 < width ? f32x4.pmax(v128.load(here + pixel), floor) : zero;
        v128.store(out + cb, d0);
        v128.store(out + plane + cb, f32x4.sub(left, d0));
        v128.store(out + 2 * plane + cb, f32x4.sub(right, d0));
      }
    }
  }
}

/** y [rows, W, O] += the pairs' outputs from M [3][rows·T2][O]: y[2t] += M0 + M1, y[2t+1] += M0 + M2. */
export function pairOutput(m: usize, plane: usize, y: usize, rows: i32, width: i32, outC: i32): void {
  const pixel = (<usize>outC) << 2;
  const pairs = (width + 1) >> 1;
  for (let r = 0; r < rows; r++) {
    const row = y + (<usize>(r * width)) * pixel;
    for (let t = 0; t < pairs; t++) {
      const col = 2 * t;
      const from = m + (<usize>(r * pairs + t)) * pixel;
      const to = row + (<usize>col) * pixel;
      for (let c = 0; c < outC; c += 4) {
        const cb = (<usize>c) << 2;
        const m0 = v128.load(from + cb);
        v128.store(to + cb, f32x4.add(v128.load(to + cb), f32x4.add(m0, v128.load(from + plane + cb))));
        if (col + 1 < width) v128.store(to + pixel + cb, f32x4.add(v128.load(to + pixel + cb), f32x4.add(m0, v128.load(from + 2 * plane + cb))));
      }
    }
  }
}

/** out [O] = Σ_r m[r, 0..O) over `rows` rows of O floats (O % 4 == 0): a bias gradient. */
export function columnSums(m: usize, rows: i32, outC: i32, out: usize): void {
  const pixel = (<usize>outC) << 2;
  for (let c = 0; c < outC; c += 4) {
    const cb = (<usize>c) << 2;
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    let r = 0;
    for (; r + 2 <= rows; r += 2) {
      acc0 = f32x4.add(acc0, v128.load(m + (<usize>r) * pixel + cb));
      acc1 = f32x4.add(acc1, v128.load(m + (<usize>(r + 1)) * pixel + cb));
    }
    if (r < rows) acc0 = f32x4.add(acc0, v128.load(m + (<usize>r) * pixel + cb));
    v128.store(out + cb, f32x4.add(acc0, acc1));
  }
}

/** dM [3][rows·T2][O] from dy [rows, W, O]: the transpose of pairOutput (dM0 = dy[2t] + dy[2t+1], dM1 = dy[2t], dM2 = dy[2t+1]). */
export function pairOutputGrad(dy: usize, dm: usize, plane: usize, rows: i32, width: i32, outC: i32): void {
  const pixel = (<usize>outC) << 2;
  const pairs = (width + 1) >> 1;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const row = dy + (<usize>(r * width)) * pixel;
    for (let t = 0; t < pairs; t++) {
      const col = 2 * t;
      const from = row + (<usize>col) * pixel;
      const to = dm + (<usize>(r * pairs + t)) * pixel;
      for (let c = 0; c < outC; c += 4) {
        const cb = (<usize>c) << 2;
        const g0 = v128.load(from + cb);
        const g1 = col + 1 < width ? v128.load(from + pixel + cb) : zero;
        v128.store(to + cb, f32x4.add(g0, g1));
        v128.store(to + plane + cb, g0);
        v128.store(to + 2 * plane + cb, g1);
      }
    }
  }
}

/** dx [rows, W, C] += the transpose of pairInput from dP [3][rows·T2][C]: dx[2t] += dP0 − dP1 − dP2, dx[2t−1] += dP1, dx[2t+1] += dP2. */
export function pairInputGrad(dp: usize, plane: usize, dx: usize, rows: i32, width: i32, inC: i32): void {
  const pixel = (<usize>inC) << 2;
  const pairs = (width + 1) >> 1;
  for (let r = 0; r < rows; r++) {
    const row = dx + (<usize>(r * width)) * pixel;
    for (let t = 0; t < pairs; t++) {
      const col = 2 * t;
      const from = dp + (<usize>(r * pairs + t)) * pixel;
      const here = row + (<usize>col) * pixel;
      for (let c = 0; c < inC; c += 4) {
        const cb = (<usize>c) << 2;
        const p0 = v128.load(from + cb);
        const p1 = v128.load(from + plane + cb);
        const p2 = v128.load(from + 2 * plane + cb);
        v128.store(here + cb, f32x4.add(v128.load(here + cb), f32x4.sub(f32x4.sub(p0, p1), p2)));
        if (col > 0) v128.store(here - pixel + cb, f32x4.add(v128.load(here - pixel + cb), p1));
        if (col + 1 < width) v128.store(here + pixel + cb, f32x4.add(v128.load(here + pixel + cb), p2));
      }
    }
  }
}

// ---- a residual layer's gradient: h + conv(relu(h)) ----

/** dx = dy + (h > 0 ? dx : 0) over n floats (n % 4 == 0): the conv's input gradient dx through relu(h), plus the residual's dy. */
export function reluGateResidual(dx: usize, h: usize, dy: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const bytes = (<usize>n) << 2;
  for (let i: usize = 0; i < bytes; i += 16) {
    const open = f32x4.gt(v128.load(h + i), zero);
    v128.store(dx + i, f32x4.add(v128.load(dy + i), v128.and(v128.load(dx + i), open)));
  }
}

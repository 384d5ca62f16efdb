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

// a·b + c on four lanes: one fused multiply-add in the relaxed-SIMD build (`--enable relaxed-simd`:
// src/kernels/*.relaxed.wasm, x86 FMA), a multiply and an add in the plain-SIMD one. ASC_FEATURE_*
// is a compile-time constant, so each build holds only its own instruction.
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

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
// taps holds (ry, rx) pairs as i32. The source rows an output row reads are kept zero-padded in a ring
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

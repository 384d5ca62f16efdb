// AssemblyScript, compiled to src/kernels/lstmScan.wasm by `npm run build:kernels`.
//
// The recurrence of the Row LSTM and the Diagonal BiLSTM as one kernel, forward and backward
// (src/kernels/lstmScan.ts wraps it as tfjs kernels). A scan runs over positions (b, t, l): t the
// step, l the place along the line that one step updates at once.
//   mode 0 (rows):              t is an image row, l a column: the map [B, H, W, ·] as it is;
//   mode 1 (diagonal):          t is a column of the skewed map (row r shifted right by r), l = r;
//   mode 2 (mirrored diagonal): the same with row r shifted right by H−1−r.
// The skew is index arithmetic here: pre and states are the image-shaped maps [B, H, W, ·]; skewed
// positions off the image read zero gate inputs (their states still feed their neighbours).
// At each step, for every (b, l):
//   gates = pre[b, t, l] + Σ_k h[b, t−1, l + off_k] · W_k       (h off the line is 0; h at step −1 is h0)
//   i, f, o = σ(gates[0:h], [h:2h], [2h:3h]);  g = tanh(gates[3h:4h])
//   c = f·c[b, t−1, l] + i·g  (c at step −1 is c0);  h = o·tanh(c)
// W is [k·h, 4h], tap-major. Steps run backwards when `reverse`. The forward pass keeps, per scan
// position, (i, f, o, g, c, tanh c, h) in `tape` for the backward pass. Needs h % 4 == 0.

import { madd, outerTile2x16 } from './simd';

// ---- tanh and σ on four lanes ----
// tanh as Eigen's rational approximation (generic_fast_tanh_float: x·P(x²)/Q(x²), P of degree 6 and
// Q of degree 3 in x², inputs clamped to ±7.905, where it is 1 to float precision): absolute error
// under 3.5e-7 (float32, against float64 tanh), one division, and two short polynomial chains that
// run side by side — shorter than exp and a division, which is what the cell spends its time on.
// σ(x) = (1 + tanh(x/2)) / 2.

@inline function tanh4(x: v128): v128 {
  const bound = f32x4.splat(7.90531110763549805);
  const v = f32x4.min(f32x4.max(x, f32x4.neg(bound)), bound);
  const x2 = f32x4.mul(v, v);
  let p = madd(x2, f32x4.splat(-2.76076847742355e-16), f32x4.splat(2.00018790482477e-13));
  p = madd(p, x2, f32x4.splat(-8.60467152213735e-11));
  p = madd(p, x2, f32x4.splat(5.12229709037114e-8));
  p = madd(p, x2, f32x4.splat(1.48572235717979e-5));
  p = madd(p, x2, f32x4.splat(6.37261928875436e-4));
  p = madd(p, x2, f32x4.splat(4.89352455891786e-3));
  let q = madd(x2, f32x4.splat(1.19825839466702e-6), f32x4.splat(1.18534705686654e-4));
  q = madd(q, x2, f32x4.splat(2.26843463243900e-3));
  q = madd(q, x2, f32x4.splat(4.89352518554385e-3));
  return f32x4.div(f32x4.mul(p, v), q);
}

@inline function sigmoid4(x: v128): v128 {
  const half = f32x4.splat(0.5);
  return madd(tanh4(f32x4.mul(x, half)), half, half);
}

/** Index of scan position (b, t, l) in the image-shaped map, or −1 off the image. */
@inline function imageIndex(mode: i32, b: i32, t: i32, l: i32, steps: i32, line: i32, width: i32): i32 {
  if (mode == 0) return (b * steps + t) * line + l;
  const x = mode == 1 ? t - l : t - (line - 1 - l);
  return x < 0 || x >= width ? -1 : (b * line + l) * width + x;
}

// gates[0:4h] += Σ_i h[i] · W[i, :]  (one position; W rows of 4h)
@inline function accumulate1(gates: usize, hp: usize, wk: usize, hidden: i32, g4: i32): void {
  const gBytes = (<usize>g4) << 2;
  for (let v = 0; v < g4; v += 16) {
    const vb = (<usize>v) << 2;
    let a0 = v128.load(gates + vb);
    let a1 = v128.load(gates + vb, 16);
    let a2 = v128.load(gates + vb, 32);
    let a3 = v128.load(gates + vb, 48);
    let wp = wk + vb;
    for (let i = 0; i < hidden; i++) {
      const s = v128.load32_splat(hp + ((<usize>i) << 2));
      a0 = madd(s, v128.load(wp), a0);
      a1 = madd(s, v128.load(wp, 16), a1);
      a2 = madd(s, v128.load(wp, 32), a2);
      a3 = madd(s, v128.load(wp, 48), a3);
      wp += gBytes;
    }
    v128.store(gates + vb, a0);
    v128.store(gates + vb, a1, 16);
    v128.store(gates + vb, a2, 32);
    v128.store(gates + vb, a3, 48);
  }
}

// The same for two positions at once (gates at g and g + 4h), each weight load used twice.
@inline function accumulate2(gates: usize, hp0: usize, hp1: usize, wk: usize, hidden: i32, g4: i32): void {
  const gBytes = (<usize>g4) << 2;
  const g1 = gates + gBytes;
  for (let v = 0; v < g4; v += 16) {
    const vb = (<usize>v) << 2;
    let a0 = v128.load(gates + vb);
    let a1 = v128.load(gates + vb, 16);
    let a2 = v128.load(gates + vb, 32);
    let a3 = v128.load(gates + vb, 48);
    let b0 = v128.load(g1 + vb);
    let b1 = v128.load(g1 + vb, 16);
    let b2 = v128.load(g1 + vb, 32);
    let b3 = v128.load(g1 + vb, 48);
    let wp = wk + vb;
    for (let i = 0; i < hidden; i++) {
      const ib = (<usize>i) << 2;
      const s = v128.load32_splat(hp0 + ib);
      const r = v128.load32_splat(hp1 + ib);
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const w2 = v128.load(wp, 32);
      const w3 = v128.load(wp, 48);
      a0 = madd(s, w0, a0);
      a1 = madd(s, w1, a1);
      a2 = madd(s, w2, a2);
      a3 = madd(s, w3, a3);
      b0 = madd(r, w0, b0);
      b1 = madd(r, w1, b1);
      b2 = madd(r, w2, b2);
      b3 = madd(r, w3, b3);
      wp += gBytes;
    }
    v128.store(gates + vb, a0);
    v128.store(gates + vb, a1, 16);
    v128.store(gates + vb, a2, 32);
    v128.store(gates + vb, a3, 48);
    v128.store(g1 + vb, b0);
    v128.store(g1 + vb, b1, 16);
    v128.store(g1 + vb, b2, 32);
    v128.store(g1 + vb, b3, 48);
  }
}

// gates → i, f, o, g, c, tanh c, h on the tape at tp (and h into states at src, if on the image).
@inline function cell(gates: usize, cp: usize, tp: usize, states: usize, src: i32, hidden: i32): void {
  const hBytes = (<usize>hidden) << 2;
  for (let j = 0; j < hidden; j += 4) {
    const jb = (<usize>j) << 2;
    const ig = sigmoid4(v128.load(gates + jb));
    const fg = sigmoid4(v128.load(gates + hBytes + jb));
    const og = sigmoid4(v128.load(gates + 2 * hBytes + jb));
    const gg = tanh4(v128.load(gates + 3 * hBytes + jb));
    const c = f32x4.add(f32x4.mul(fg, v128.load(cp + jb)), f32x4.mul(ig, gg));
    const tc = tanh4(c);
    const h = f32x4.mul(og, tc);
    v128.store(tp + jb, ig);
    v128.store(tp + hBytes + jb, fg);
    v128.store(tp + 2 * hBytes + jb, og);
    v128.store(tp + 3 * hBytes + jb, gg);
    v128.store(tp + 4 * hBytes + jb, c);
    v128.store(tp + 5 * hBytes + jb, tc);
    v128.store(tp + 6 * hBytes + jb, h);
    if (src >= 0) v128.store(states + (<usize>src) * hBytes + jb, h);
  }
}

// Positions go in pairs (l, l + 1) along the line: their state-to-state products share every weight
// load (accumulate2); `gates` is scratch for two positions' 4h gate values.
export function lstmScanForward(
  pre: usize, w: usize, h0: usize, c0: usize, states: usize, tape: usize, gates: usize,
  batch: i32, steps: i32, line: i32, width: i32, mode: i32,
  offsets: usize, taps: i32, reverse: i32, hidden: i32,
): void {
  const g4 = 4 * hidden;
  const hBytes = (<usize>hidden) << 2;
  const gBytes = (<usize>g4) << 2;
  const tBytes: usize = 7 * hBytes; // tape per position: i, f, o, g, c, tanh c, h
  const gates1 = gates + gBytes;
  for (let n = 0; n < steps; n++) {
    const t = reverse ? steps - 1 - n : n;
    const tPrev = reverse ? t + 1 : t - 1;
    for (let b = 0; b < batch; b++) {
      const prevRow = tape + (<usize>((b * steps + tPrev) * line)) * tBytes; // position (b, tPrev, 0)
      for (let l = 0; l < line; l += 2) {
        const two = l + 1 < line;
        const src0 = imageIndex(mode, b, t, l, steps, line, width);
        const src1 = two ? imageIndex(mode, b, t, l + 1, steps, line, width) : -1;
        if (src0 >= 0) memory.copy(gates, pre + (<usize>src0) * gBytes, gBytes);
        else memory.fill(gates, 0, gBytes);
        if (src1 >= 0) memory.copy(gates1, pre + (<usize>src1) * gBytes, gBytes);
        else memory.fill(gates1, 0, gBytes);
        for (let k = 0; k < taps; k++) {
          const lp = l + load<i32>(offsets + ((<usize>k) << 2));
          const ok0 = lp >= 0 && lp < line;
          const ok1 = two && lp + 1 >= 0 && lp + 1 < line;
          const hp0 = n == 0 ? h0 : prevRow + (<usize>lp) * tBytes + 6 * hBytes;
          const hp1 = n == 0 ? h0 : prevRow + (<usize>(lp + 1)) * tBytes + 6 * hBytes;
          const wk = w + (<usize>(k * hidden)) * gBytes;
          if (ok0 && ok1) accumulate2(gates, hp0, hp1, wk, hidden, g4);
          else if (ok0) accumulate1(gates, hp0, wk, hidden, g4);
          else if (ok1) accumulate1(gates1, hp1, wk, hidden, g4);
        }
        const pos = (b * steps + t) * line + l;
        const cp0 = n == 0 ? c0 : prevRow + (<usize>l) * tBytes + 4 * hBytes;
        cell(gates, cp0, tape + (<usize>pos) * tBytes, states, src0, hidden);
        if (two) cell(gates1, n == 0 ? c0 : cp0 + tBytes, tape + (<usize>(pos + 1)) * tBytes, states, src1, hidden);
      }
    }
  }
}

// ---- the backward pass's per-lane pieces, shared by lstmScanBackward and rowScanBackwardF23 ----

/**
 * One position's cell backward: from the tape at tp (i, f, o, g, c, tanh c), the previous c at cp,
 * the gradient reaching h (hr, plus dStates' row at ds unless ds is 0) and the carried dc at dcp:
 * the gate gradients into dp [4h], and dc·f carried back into dcp.
 */
@inline function cellBackward(tp: usize, cp: usize, ds: usize, hr: usize, dcp: usize, dp: usize, hidden: i32): void {
  const hBytes = (<usize>hidden) << 2;
  const one = f32x4.splat(1.0);
  for (let j = 0; j < hidden; j += 4) {
    const jb = (<usize>j) << 2;
    const ig = v128.load(tp + jb);
    const fg = v128.load(tp + hBytes + jb);
    const og = v128.load(tp + 2 * hBytes + jb);
    const gg = v128.load(tp + 3 * hBytes + jb);
    const tc = v128.load(tp + 5 * hBytes + jb);
    let dh = v128.load(hr + jb);
    if (ds) dh = f32x4.add(dh, v128.load(ds + jb));
    const dc = madd(f32x4.mul(dh, og), f32x4.sub(one, f32x4.mul(tc, tc)), v128.load(dcp + jb));
    v128.store(dcp + jb, f32x4.mul(dc, fg));
    v128.store(dp + jb, f32x4.mul(f32x4.mul(dc, gg), f32x4.mul(ig, f32x4.sub(one, ig))));
    v128.store(dp + hBytes + jb, f32x4.mul(f32x4.mul(dc, v128.load(cp + jb)), f32x4.mul(fg, f32x4.sub(one, fg))));
    v128.store(dp + 2 * hBytes + jb, f32x4.mul(f32x4.mul(dh, tc), f32x4.mul(og, f32x4.sub(one, og))));
    v128.store(dp + 3 * hBytes + jb, f32x4.mul(f32x4.mul(dc, ig), f32x4.sub(one, f32x4.mul(gg, gg))));
  }
}

/** Zero the gradients a backward scan carries from step to step (dhRec, dcCarry [lanes, h]) and sums into (dh0, dc0 [h]). */
@inline function clearCarries(dhRec: usize, dcCarry: usize, dh0: usize, dc0: usize, lanes: i32, hidden: i32): void {
  const hBytes = (<usize>hidden) << 2;
  memory.fill(dhRec, 0, (<usize>lanes) * hBytes);
  memory.fill(dcCarry, 0, (<usize>lanes) * hBytes);
  memory.fill(dh0, 0, hBytes);
  memory.fill(dc0, 0, hBytes);
}

/** Step −1 is h0, c0 everywhere on the line: dh0 and dc0 [h] are the sums over every lane of dhRec and dcCarry. */
@inline function sumLanes(dhRec: usize, dcCarry: usize, dh0: usize, dc0: usize, lanes: i32, hidden: i32): void {
  const hBytes = (<usize>hidden) << 2;
  for (let lane = 0; lane < lanes; lane++) {
    const at = (<usize>lane) * hBytes;
    for (let i = 0; i < hidden; i += 4) {
      const ib = (<usize>i) << 2;
      v128.store(dh0 + ib, f32x4.add(v128.load(dh0 + ib), v128.load(dhRec + at + ib)));
      v128.store(dc0 + ib, f32x4.add(v128.load(dc0 + ib), v128.load(dcCarry + at + ib)));
    }
  }
}

// np[0:h] += Σ_j dp[j] · wT[j, k·h .. k·h + h − 1]  (wk points at column k·h of wT, rows kh apart)
@inline function backAccumulate1(np: usize, dp: usize, wk: usize, hidden: i32, g4: i32, kh: i32): void {
  const rowBytes = (<usize>kh) << 2;
  let i = 0;
  for (; i + 16 <= hidden; i += 16) {
    // sixteen of h at once: each dPre value is splatted once for four vectors
    const ip = np + ((<usize>i) << 2);
    let a0 = v128.load(ip);
    let a1 = v128.load(ip, 16);
    let a2 = v128.load(ip, 32);
    let a3 = v128.load(ip, 48);
    let wtp = wk + ((<usize>i) << 2);
    for (let j = 0; j < g4; j++) {
      const s = v128.load32_splat(dp + ((<usize>j) << 2));
      a0 = madd(s, v128.load(wtp), a0);
      a1 = madd(s, v128.load(wtp, 16), a1);
      a2 = madd(s, v128.load(wtp, 32), a2);
      a3 = madd(s, v128.load(wtp, 48), a3);
      wtp += rowBytes;
    }
    v128.store(ip, a0);
    v128.store(ip, a1, 16);
    v128.store(ip, a2, 32);
    v128.store(ip, a3, 48);
  }
  for (; i < hidden; i += 4) {
    let acc = v128.load(np + ((<usize>i) << 2));
    let wtp = wk + ((<usize>i) << 2);
    for (let j = 0; j < g4; j++) {
      acc = madd(v128.load32_splat(dp + ((<usize>j) << 2)), v128.load(wtp), acc);
      wtp += rowBytes;
    }
    v128.store(np + ((<usize>i) << 2), acc);
  }
}

// The same for two lanes at once (into np0 and np1 from dp0 and dp1), each wT load used twice.
@inline function backAccumulate2(np0: usize, np1: usize, dp0: usize, dp1: usize, wk: usize, hidden: i32, g4: i32, kh: i32): void {
  const rowBytes = (<usize>kh) << 2;
  let i = 0;
  for (; i + 16 <= hidden; i += 16) {
    const ib = (<usize>i) << 2;
    let a0 = v128.load(np0 + ib);
    let a1 = v128.load(np0 + ib, 16);
    let a2 = v128.load(np0 + ib, 32);
    let a3 = v128.load(np0 + ib, 48);
    let b0 = v128.load(np1 + ib);
    let b1 = v128.load(np1 + ib, 16);
    let b2 = v128.load(np1 + ib, 32);
    let b3 = v128.load(np1 + ib, 48);
    let wtp = wk + ib;
    for (let j = 0; j < g4; j++) {
      const jb = (<usize>j) << 2;
      const s = v128.load32_splat(dp0 + jb);
      const r = v128.load32_splat(dp1 + jb);
      const w0 = v128.load(wtp);
      const w1 = v128.load(wtp, 16);
      const w2 = v128.load(wtp, 32);
      const w3 = v128.load(wtp, 48);
      a0 = madd(s, w0, a0);
      a1 = madd(s, w1, a1);
      a2 = madd(s, w2, a2);
      a3 = madd(s, w3, a3);
      b0 = madd(r, w0, b0);
      b1 = madd(r, w1, b1);
      b2 = madd(r, w2, b2);
      b3 = madd(r, w3, b3);
      wtp += rowBytes;
    }
    v128.store(np0 + ib, a0);
    v128.store(np0 + ib, a1, 16);
    v128.store(np0 + ib, a2, 32);
    v128.store(np0 + ib, a3, 48);
    v128.store(np1 + ib, b0);
    v128.store(np1 + ib, b1, 16);
    v128.store(np1 + ib, b2, 32);
    v128.store(np1 + ib, b3, 48);
  }
  if (i < hidden) {
    backAccumulate1(np0 + ((<usize>i) << 2), dp0, wk + ((<usize>i) << 2), hidden - i, g4, kh);
    backAccumulate1(np1 + ((<usize>i) << 2), dp1, wk + ((<usize>i) << 2), hidden - i, g4, kh);
  }
}

// Backward through the whole scan. dStates (image-shaped, [.., h]) in; out: dPre (image-shaped,
// [.., 4h]), dW [k·h, 4h], dh0 [h], dc0 [h]. wT is W transposed: [4h, k·h]. Scratch, per lane (b, l):
// dhRec and dhRecNext [lanes, h] (the gradient reaching h at step t from step t+1's state-to-state),
// dcCarry [lanes, h], dPreStep [lanes, 4h] (this step's gate gradients, off-image positions included).
export function lstmScanBackward(
  dStates: usize, tape: usize, wT: usize, h0: usize, c0: usize,
  dPre: usize, dW: usize, dh0: usize, dc0: usize,
  dhRec: usize, dhRecNext: usize, dcCarry: usize, dPreStep: usize,
  batch: i32, steps: i32, line: i32, width: i32, mode: i32,
  offsets: usize, taps: i32, reverse: i32, hidden: i32,
): void {
  const g4 = 4 * hidden;
  const hBytes = (<usize>hidden) << 2;
  const gBytes = (<usize>g4) << 2;
  const tBytes: usize = 7 * hBytes;
  const kh = taps * hidden;
  const lanes = batch * line;
  memory.fill(dW, 0, (<usize>(kh * g4)) << 2);
  clearCarries(dhRec, dcCarry, dh0, dc0, lanes, hidden);
  let cur = dhRec;
  let next = dhRecNext;
  for (let n = steps - 1; n >= 0; n--) {
    const t = reverse ? steps - 1 - n : n;
    const tPrev = reverse ? t + 1 : t - 1;
    // the cell, lane by lane: this step's gate gradients, and the cell gradient carried to step t−1
    for (let b = 0; b < batch; b++) {
      for (let l = 0; l < line; l++) {
        const lane = b * line + l;
        const src = imageIndex(mode, b, t, l, steps, line, width);
        const tp = tape + (<usize>((b * steps + t) * line + l)) * tBytes;
        const cp = n == 0 ? c0 : tape + (<usize>((b * steps + tPrev) * line + l)) * tBytes + 4 * hBytes;
        const dp = dPreStep + (<usize>lane) * gBytes;
        cellBackward(tp, cp, src >= 0 ? dStates + (<usize>src) * hBytes : 0, cur + (<usize>lane) * hBytes, dcCarry + (<usize>lane) * hBytes, dp, hidden);
        if (src >= 0) memory.copy(dPre + (<usize>src) * gBytes, dp, gBytes);
      }
    }
    // dW_k += Σ_lanes h_prev(l + off_k) ⊗ dPreStep(l): a 2 × 16 tile of dW in registers over the
    // lanes of a block of images (about 64 lanes: their h and dPreStep rows stay in L1 meanwhile)
    const imagesPerBlock = max(1, 64 / line);
    for (let bLo = 0; bLo < batch; bLo += imagesPerBlock) {
      const bHi = min(batch, bLo + imagesPerBlock);
      for (let k = 0; k < taps; k++) {
        const off = load<i32>(offsets + ((<usize>k) << 2));
        for (let i = 0; i < hidden; i += 2) {
          const dw0 = dW + (<usize>(k * hidden + i)) * gBytes;
          const dw1 = dw0 + gBytes;
          for (let v = 0; v < g4; v += 16) {
            const vb = (<usize>v) << 2;
            let a0 = v128.load(dw0 + vb);
            let a1 = v128.load(dw0 + vb, 16);
            let a2 = v128.load(dw0 + vb, 32);
            let a3 = v128.load(dw0 + vb, 48);
            let b0 = v128.load(dw1 + vb);
            let b1 = v128.load(dw1 + vb, 16);
            let b2 = v128.load(dw1 + vb, 32);
            let b3 = v128.load(dw1 + vb, 48);
            const lLo = max(0, -off);
            const lHi = min(line, line - off);
            // h at step t − 1 (h0 at the first step: the same vector for every lane) and dPreStep, by pointer steps
            const hStep: usize = n == 0 ? 0 : tBytes;
            for (let b = bLo; b < bHi; b++) {
              let hp = (n == 0 ? h0 : tape + (<usize>((b * steps + tPrev) * line + lLo + off)) * tBytes + 6 * hBytes) + ((<usize>i) << 2);
              let dp = dPreStep + (<usize>(b * line + lLo)) * gBytes + vb;
              for (let l = lLo; l < lHi; l++) {
                const s0 = v128.load32_splat(hp);
                const s1 = v128.load32_splat(hp, 4);
                const d0 = v128.load(dp);
                const d1 = v128.load(dp, 16);
                const d2 = v128.load(dp, 32);
                const d3 = v128.load(dp, 48);
                hp += hStep;
                dp += gBytes;
                a0 = madd(s0, d0, a0);
                a1 = madd(s0, d1, a1);
                a2 = madd(s0, d2, a2);
                a3 = madd(s0, d3, a3);
                b0 = madd(s1, d0, b0);
                b1 = madd(s1, d1, b1);
                b2 = madd(s1, d2, b2);
                b3 = madd(s1, d3, b3);
              }
            }
            v128.store(dw0 + vb, a0);
            v128.store(dw0 + vb, a1, 16);
            v128.store(dw0 + vb, a2, 32);
            v128.store(dw0 + vb, a3, 48);
            v128.store(dw1 + vb, b0);
            v128.store(dw1 + vb, b1, 16);
            v128.store(dw1 + vb, b2, 32);
            v128.store(dw1 + vb, b3, 48);
          }
        }
      }
    }
    // dhRecNext[l + off_k] += W_k · dPreStep(l)   (wT row j, columns k·h .. k·h + h − 1); lanes in
    // pairs (l, l + 1), which share every wT load (backAccumulate2)
    memory.fill(next, 0, (<usize>lanes) * hBytes);
    for (let b = 0; b < batch; b++) {
      for (let l = 0; l < line; l += 2) {
        const two = l + 1 < line;
        const dp0 = dPreStep + (<usize>(b * line + l)) * gBytes;
        const dp1 = dp0 + gBytes;
        for (let k = 0; k < taps; k++) {
          const lp = l + load<i32>(offsets + ((<usize>k) << 2));
          const ok0 = lp >= 0 && lp < line;
          const ok1 = two && lp + 1 >= 0 && lp + 1 < line;
          const np0 = next + (<usize>(b * line + lp)) * hBytes;
          const np1 = np0 + hBytes;
          const wk = wT + (<usize>(k * hidden) << 2);
          if (ok0 && ok1) backAccumulate2(np0, np1, dp0, dp1, wk, hidden, g4, kh);
          else if (ok0) backAccumulate1(np0, dp0, wk, hidden, g4, kh);
          else if (ok1) backAccumulate1(np1, dp1, wk, hidden, g4, kh);
        }
      }
    }
    const swap = cur;
    cur = next;
    next = swap;
  }
  // step −1 is h0, c0 everywhere on the line: their gradients are the sums over every lane
  sumLanes(cur, dcCarry, dh0, dc0, lanes, hidden);
}

// ---- the Row LSTM's backward scan through Winograd F(2, 3) along the row (mode 0, taps −1, 0, +1) ----
//
// The state-to-state convolution reads the row above, so it can run as a 1-D Winograd transform along
// that row: for the two outputs l0, l0 + 1 of a tile, with d0..d3 = h[l0 − 1 .. l0 + 2] of the row
// above (zero off the line, h0 above the first row) and the weights' transform U = G·W,
//   V = Bᵀ d = (d0 − d2, d1 + d2, d2 − d1, d1 − d3)      (four h-vectors)
//   m_p = V_p · U_p                                      (four [h] × [h, 4h] products, not six)
//   gates[l0] += m0 + m1 + m2,  gates[l0 + 1] += m1 − m2 − m3   (Aᵀ m)
// with U = (W0, (W0 + W1 + W2)/2, (W0 − W1 + W2)/2, W2). Output l0 is computed from d0, d1, d2 only
// and output l0 + 1 from d1, d2, d3 only, so each gate reads exactly its three taps, as the direct
// sum does: the dependence structure (and so the receptive field) is unchanged, only the rounding
// differs. The forward pass stays direct (its products are a third of its time, the cell the rest,
// and the transforms ate the saving); the backward pass runs the transposes, four products for six
// in each of its two products: dm = A·dgates, dV_p = dm_p · U_pᵀ, dh = B·dV, and dU_p = Σ V_pᵀ dm_p,
// dW = Gᵀ dU.

const F23_POINTS = 4;

/**
 * c[r, 0..n) = Σ_k a[r, k] · b[k, 0..n) for r < rows (b contiguous [k, n], n % 4 == 0): blocks of
 * 2 rows × 16 columns in eight registers (2 splats and 4 loads per 8 multiply-adds, as accumulate2;
 * more rows would spill: wasm SIMD has 16 registers on x86), then 4-column and single-row remainders.
 */
function gemmRows(a: usize, lda: i32, b: usize, n: i32, k: i32, c: usize, ldc: i32, rows: i32): void {
  const aRow = (<usize>lda) << 2;
  const bRow = (<usize>n) << 2;
  const cRow = (<usize>ldc) << 2;
  const zero = f32x4.splat(0);
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const a0 = a + (<usize>r) * aRow;
    const c0 = c + (<usize>r) * cRow;
    let o = 0;
    for (; o + 16 <= n; o += 16) {
      const ob = (<usize>o) << 2;
      let x0 = zero, x1 = zero, x2 = zero, x3 = zero;
      let y0 = zero, y1 = zero, y2 = zero, y3 = zero;
      let ap = a0;
      let bp = b + ob;
      for (let q = 0; q < k; q++) {
        const s = v128.load32_splat(ap);
        const t = v128.load32_splat(ap + aRow);
        const w0 = v128.load(bp);
        const w1 = v128.load(bp, 16);
        const w2 = v128.load(bp, 32);
        const w3 = v128.load(bp, 48);
        x0 = madd(s, w0, x0); x1 = madd(s, w1, x1); x2 = madd(s, w2, x2); x3 = madd(s, w3, x3);
        y0 = madd(t, w0, y0); y1 = madd(t, w1, y1); y2 = madd(t, w2, y2); y3 = madd(t, w3, y3);
        ap += 4;
        bp += bRow;
      }
      const cp = c0 + ob;
      v128.store(cp, x0); v128.store(cp, x1, 16); v128.store(cp, x2, 32); v128.store(cp, x3, 48);
      v128.store(cp + cRow, y0); v128.store(cp + cRow, y1, 16); v128.store(cp + cRow, y2, 32); v128.store(cp + cRow, y3, 48);
    }
    for (; o < n; o += 4) {
      const ob = (<usize>o) << 2;
      let x = zero, y = zero;
      let ap = a0;
      let bp = b + ob;
      for (let q = 0; q < k; q++) {
        const w = v128.load(bp);
        x = madd(v128.load32_splat(ap), w, x);
        y = madd(v128.load32_splat(ap + aRow), w, y);
        ap += 4;
        bp += bRow;
      }
      v128.store(c0 + ob, x);
      v128.store(c0 + cRow + ob, y);
    }
  }
  for (; r < rows; r++) {
    const a0 = a + (<usize>r) * aRow;
    const c0 = c + (<usize>r) * cRow;
    for (let o = 0; o < n; o += 4) {
      const ob = (<usize>o) << 2;
      let x = zero;
      let ap = a0;
      let bp = b + ob;
      for (let q = 0; q < k; q++) {
        x = madd(v128.load32_splat(ap), v128.load(bp), x);
        ap += 4;
        bp += bRow;
      }
      v128.store(c0 + ob, x);
    }
  }
}

/**
 * c[i, 0..n) += Σ_r a[r, i] · b[r, 0..n) for i < m (m % 2 == 0, n % 4 == 0; a rows m floats apart,
 * b rows n apart, c [m, n]): 2 × 16 tiles of c in registers over all rows (outerTile2x16).
 */
function gemmTransposedA(a: usize, m: i32, b: usize, n: i32, rows: i32, c: usize): void {
  const aRow = (<usize>m) << 2;
  const bRow = (<usize>n) << 2;
  for (let i = 0; i < m; i += 2) {
    const c0 = c + (<usize>i) * bRow;
    let o = 0;
    for (; o + 16 <= n; o += 16) {
      const ob = (<usize>o) << 2;
      outerTile2x16(c0 + ob, c0 + bRow + ob, a + ((<usize>i) << 2), aRow, b + ob, bRow, rows);
    }
    for (; o < n; o += 4) {
      const ob = (<usize>o) << 2;
      let x = v128.load(c0 + ob);
      let y = v128.load(c0 + bRow + ob);
      let ap = a + ((<usize>i) << 2);
      let bp = b + ob;
      for (let r = 0; r < rows; r++) {
        const g = v128.load(bp);
        x = madd(v128.load32_splat(ap), g, x);
        y = madd(v128.load32_splat(ap, 4), g, y);
        ap += aRow;
        bp += bRow;
      }
      v128.store(c0 + ob, x);
      v128.store(c0 + bRow + ob, y);
    }
  }
}

/** h of the row above at column l (image b), features i..i+3: zero off the line, h0 above row 0. */
@inline function rowAbove(tape: usize, h0: usize, b: i32, tPrev: i32, first: bool, l: i32, steps: i32, line: i32, hidden: i32, ib: usize): v128 {
  if (l < 0 || l >= line) return f32x4.splat(0);
  if (first) return v128.load(h0 + ib);
  const hBytes = (<usize>hidden) << 2;
  return v128.load(tape + (<usize>((b * steps + tPrev) * line + l)) * 7 * hBytes + 6 * hBytes + ib);
}

/** V = Bᵀ d for the tiles of images bLo..bHi at step t: v [4][rows][h], rows = (bHi − bLo)·tiles. */
function rowTilesInput(tape: usize, h0: usize, v: usize, bLo: i32, bHi: i32, tPrev: i32, first: bool, steps: i32, line: i32, tiles: i32, hidden: i32): void {
  const hBytes = (<usize>hidden) << 2;
  const rows = (bHi - bLo) * tiles;
  const pointBytes = (<usize>rows) * hBytes;
  for (let b = bLo; b < bHi; b++) {
    for (let j = 0; j < tiles; j++) {
      const l0 = 2 * j;
      const vp = v + (<usize>((b - bLo) * tiles + j)) * hBytes;
      for (let i = 0; i < hidden; i += 4) {
        const ib = (<usize>i) << 2;
        const d0 = rowAbove(tape, h0, b, tPrev, first, l0 - 1, steps, line, hidden, ib);
        const d1 = rowAbove(tape, h0, b, tPrev, first, l0, steps, line, hidden, ib);
        const d2 = rowAbove(tape, h0, b, tPrev, first, l0 + 1, steps, line, hidden, ib);
        const d3 = rowAbove(tape, h0, b, tPrev, first, l0 + 2, steps, line, hidden, ib);
        v128.store(vp + ib, f32x4.sub(d0, d2));
        v128.store(vp + pointBytes + ib, f32x4.add(d1, d2));
        v128.store(vp + 2 * pointBytes + ib, f32x4.sub(d2, d1));
        v128.store(vp + 3 * pointBytes + ib, f32x4.sub(d1, d3));
      }
    }
  }
}

/**
 * Backward through lstmScanForward in mode 0 with taps −1, 0, +1 (the Row LSTM), its state-to-state
 * products through F(2, 3): the same outputs as lstmScanBackward (dPre, dW [3h, 4h], dh0, dc0).
 * ut is the transform transposed, [4][4h][h]; scratch du [4][h][4h] (the gradient of u), v
 * [4][rows][h], dm [4][rows][4h], dv [4][rows][h], and per lane dhRec, dhRecNext, dcCarry [lanes, h],
 * dPreStep [lanes, 4h].
 */
export function rowScanBackwardF23(
  dStates: usize, tape: usize, ut: usize, h0: usize, c0: usize,
  dPre: usize, dW: usize, dh0: usize, dc0: usize,
  du: usize, v: usize, dm: usize, dv: usize, dhRec: usize, dhRecNext: usize, dcCarry: usize, dPreStep: usize,
  imagesPerBlock: i32, batch: i32, steps: i32, line: i32, hidden: i32,
): void {
  const g4 = 4 * hidden;
  const hBytes = (<usize>hidden) << 2;
  const gBytes = (<usize>g4) << 2;
  const tBytes: usize = 7 * hBytes;
  const lanes = batch * line;
  const tiles = (line + 1) >> 1;
  const zero = f32x4.splat(0);
  memory.fill(du, 0, (<usize>(F23_POINTS * hidden)) * gBytes);
  clearCarries(dhRec, dcCarry, dh0, dc0, lanes, hidden);
  let cur = dhRec;
  let next = dhRecNext;
  for (let t = steps - 1; t >= 0; t--) {
    const first = t == 0;
    for (let b = 0; b < batch; b++) {
      for (let l = 0; l < line; l++) {
        const lane = b * line + l;
        const src = (b * steps + t) * line + l;
        const tp = tape + (<usize>src) * tBytes;
        const cp = first ? c0 : tape + (<usize>((b * steps + t - 1) * line + l)) * tBytes + 4 * hBytes;
        const dp = dPreStep + (<usize>lane) * gBytes;
        cellBackward(tp, cp, dStates + (<usize>src) * hBytes, cur + (<usize>lane) * hBytes, dcCarry + (<usize>lane) * hBytes, dp, hidden);
        memory.copy(dPre + (<usize>src) * gBytes, dp, gBytes);
      }
    }
    memory.fill(next, 0, (<usize>lanes) * hBytes);
    for (let bLo = 0; bLo < batch; bLo += imagesPerBlock) {
      const bHi = min(batch, bLo + imagesPerBlock);
      const rows = (bHi - bLo) * tiles;
      const mPoint = (<usize>rows) * gBytes;
      const vPoint = (<usize>rows) * hBytes;
      // dm = A · dgates per tile: (g0, g0 + g1, g0 − g1, −g1), g1 = 0 past the line
      for (let b = bLo; b < bHi; b++) {
        for (let j = 0; j < tiles; j++) {
          const l0 = 2 * j;
          const g0p = dPreStep + (<usize>(b * line + l0)) * gBytes;
          const two = l0 + 1 < line;
          const mp = dm + (<usize>((b - bLo) * tiles + j)) * gBytes;
          for (let q = 0; q < g4; q += 4) {
            const qb = (<usize>q) << 2;
            const a0 = v128.load(g0p + qb);
            const a1 = two ? v128.load(g0p + gBytes + qb) : zero;
            v128.store(mp + qb, a0);
            v128.store(mp + mPoint + qb, f32x4.add(a0, a1));
            v128.store(mp + 2 * mPoint + qb, f32x4.sub(a0, a1));
            v128.store(mp + 3 * mPoint + qb, f32x4.neg(a1));
          }
        }
      }
      rowTilesInput(tape, h0, v, bLo, bHi, t - 1, first, steps, line, tiles, hidden);
      for (let p = 0; p < F23_POINTS; p++) {
        // dU_p += V_pᵀ dm_p;  dV_p = dm_p · U_pᵀ
        gemmTransposedA(v + (<usize>p) * vPoint, hidden, dm + (<usize>p) * mPoint, g4, rows, du + (<usize>(p * hidden)) * gBytes);
        gemmRows(dm + (<usize>p) * mPoint, g4, ut + (<usize>(p * g4)) * hBytes, hidden, g4, dv + (<usize>p) * vPoint, hidden, rows);
      }
      // dh = B · dV into the row above: (dV0, dV1 − dV2 + dV3, −dV0 + dV1 + dV2, −dV3) at l0 − 1 .. l0 + 2
      for (let b = bLo; b < bHi; b++) {
        for (let j = 0; j < tiles; j++) {
          const l0 = 2 * j;
          const vp = dv + (<usize>((b - bLo) * tiles + j)) * hBytes;
          const np = next + (<usize>(b * line)) * hBytes;
          for (let i = 0; i < hidden; i += 4) {
            const ib = (<usize>i) << 2;
            const e0 = v128.load(vp + ib);
            const e1 = v128.load(vp + vPoint + ib);
            const e2 = v128.load(vp + 2 * vPoint + ib);
            const e3 = v128.load(vp + 3 * vPoint + ib);
            if (l0 >= 1) {
              const at = np + (<usize>(l0 - 1)) * hBytes + ib;
              v128.store(at, f32x4.add(v128.load(at), e0));
            }
            let at = np + (<usize>l0) * hBytes + ib;
            v128.store(at, f32x4.add(v128.load(at), f32x4.add(f32x4.sub(e1, e2), e3)));
            if (l0 + 1 < line) {
              at += hBytes;
              v128.store(at, f32x4.add(v128.load(at), f32x4.sub(f32x4.add(e1, e2), e0)));
            }
            if (l0 + 2 < line) {
              at += hBytes;
              v128.store(at, f32x4.sub(v128.load(at), e3));
            }
          }
        }
      }
    }
    const swap = cur;
    cur = next;
    next = swap;
  }
  // dW = Gᵀ dU: dW0 = dU0 + (dU1 + dU2)/2, dW1 = (dU1 − dU2)/2, dW2 = (dU1 + dU2)/2 + dU3
  const half = f32x4.splat(0.5);
  const point = (<usize>hidden) * gBytes;
  for (let e = 0; e < hidden * g4; e += 4) {
    const eb = (<usize>e) << 2;
    const u0 = v128.load(du + eb);
    const u1 = v128.load(du + point + eb);
    const u2 = v128.load(du + 2 * point + eb);
    const u3 = v128.load(du + 3 * point + eb);
    const plus = f32x4.mul(f32x4.add(u1, u2), half);
    v128.store(dW + eb, f32x4.add(u0, plus));
    v128.store(dW + point + eb, f32x4.mul(f32x4.sub(u1, u2), half));
    v128.store(dW + 2 * point + eb, f32x4.add(plus, u3));
  }
  sumLanes(cur, dcCarry, dh0, dc0, lanes, hidden);
}

// ---- the cached PixelRNN samplers' cells (src/models/pixelrnn/cachedSampler.ts), M images at one position

/** Store lanes 0 .. n−1 (n ≤ 3) of v at p. */
@inline function storeLanes(p: usize, v: v128, n: i32): void {
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// For image m < M and feature k ∈ [k0, k1): with gates at gates + m·ldg laid out [i | f | o | g]
// (hidden each), c = σ(f)·cp + σ(i)·tanh(g), h = σ(o)·tanh(c) — the cell of `cell` above, on rows
// with strides (in floats; ldcp = 0 reads one previous cell for every image, the skew's padding).
// All pointers are f32 byte pointers to feature 0 of image 0. Four features at a time; a last
// partial group computes four lanes and stores only its own (it may read up to 3 floats past k1).
export function lstmCells(gates: usize, ldg: i32, cp: usize, ldcp: i32, h: usize, ldh: i32, c: usize, ldc: i32, M: i32, hidden: i32, k0: i32, k1: i32): void {
  const hBytes = (<usize>hidden) << 2;
  for (let m = 0; m < M; m++) {
    const g = gates + (<usize>(m * ldg)) * 4;
    const pc = cp + (<usize>(m * ldcp)) * 4;
    const ph = h + (<usize>(m * ldh)) * 4;
    const pcn = c + (<usize>(m * ldc)) * 4;
    for (let k = k0; k < k1; k += 4) {
      const kb = (<usize>k) << 2;
      const ig = sigmoid4(v128.load(g + kb));
      const fg = sigmoid4(v128.load(g + hBytes + kb));
      const og = sigmoid4(v128.load(g + 2 * hBytes + kb));
      const gg = tanh4(v128.load(g + 3 * hBytes + kb));
      const cn = f32x4.add(f32x4.mul(fg, v128.load(pc + kb)), f32x4.mul(ig, gg));
      const hn = f32x4.mul(og, tanh4(cn));
      if (k + 4 <= k1) {
        v128.store(pcn + kb, cn);
        v128.store(ph + kb, hn);
      } else {
        storeLanes(pcn + kb, cn, k1 - k);
        storeLanes(ph + kb, hn, k1 - k);
      }
    }
  }
}

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

import { madd } from './simd';

// ---- exp, σ and tanh on four lanes (Cephes expf: range reduction to [−ln2/2, ln2/2], degree-5 polynomial)

@inline function exp4(x: v128): v128 {
  // n = round(x·log2 e) by adding 1.5·2²³, which also leaves n in the low mantissa bits: no
  // f32x4.nearest and no saturating conversion (several instructions each on x86)
  const magic = f32x4.splat(12582912.0);
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
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

@inline function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

@inline function tanh4(x: v128): v128 {
  // sign(x) · (1 − e)/(1 + e), e = exp(−2|x|): saturates to ±1 without overflow
  const one = f32x4.splat(1.0);
  const e = exp4(f32x4.mul(f32x4.abs(x), f32x4.splat(-2.0)));
  const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  return v128.bitselect(f32x4.neg(t), t, f32x4.lt(x, f32x4.splat(0)));
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
  const one = f32x4.splat(1.0);
  memory.fill(dW, 0, (<usize>(kh * g4)) << 2);
  memory.fill(dhRec, 0, (<usize>lanes) * hBytes);
  memory.fill(dcCarry, 0, (<usize>lanes) * hBytes);
  memory.fill(dh0, 0, hBytes);
  memory.fill(dc0, 0, hBytes);
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
        const hr = cur + (<usize>lane) * hBytes;
        const dcp = dcCarry + (<usize>lane) * hBytes;
        for (let j = 0; j < hidden; j += 4) {
          const jb = (<usize>j) << 2;
          const ig = v128.load(tp + jb);
          const fg = v128.load(tp + hBytes + jb);
          const og = v128.load(tp + 2 * hBytes + jb);
          const gg = v128.load(tp + 3 * hBytes + jb);
          const tc = v128.load(tp + 5 * hBytes + jb);
          let dh = v128.load(hr + jb);
          if (src >= 0) dh = f32x4.add(dh, v128.load(dStates + (<usize>src) * hBytes + jb));
          const dc = madd(f32x4.mul(dh, og), f32x4.sub(one, f32x4.mul(tc, tc)), v128.load(dcp + jb));
          v128.store(dcp + jb, f32x4.mul(dc, fg));
          v128.store(dp + jb, f32x4.mul(f32x4.mul(dc, gg), f32x4.mul(ig, f32x4.sub(one, ig))));
          v128.store(dp + hBytes + jb, f32x4.mul(f32x4.mul(dc, v128.load(cp + jb)), f32x4.mul(fg, f32x4.sub(one, fg))));
          v128.store(dp + 2 * hBytes + jb, f32x4.mul(f32x4.mul(dh, tc), f32x4.mul(og, f32x4.sub(one, og))));
          v128.store(dp + 3 * hBytes + jb, f32x4.mul(f32x4.mul(dc, ig), f32x4.sub(one, f32x4.mul(gg, gg))));
        }
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
  for (let lane = 0; lane < lanes; lane++) {
    const at = (<usize>lane) * hBytes;
    for (let i = 0; i < hidden; i += 4) {
      const ib = (<usize>i) << 2;
      v128.store(dh0 + ib, f32x4.add(v128.load(dh0 + ib), v128.load(cur + at + ib)));
      v128.store(dc0 + ib, f32x4.add(v128.load(dc0 + ib), v128.load(dcCarry + at + ib)));
    }
  }
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

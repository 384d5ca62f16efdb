// AssemblyScript, compiled to src/kernels/lstmScan.wasm by `npm run build:kernels`.
//
// The recurrence of the Row LSTM and the Diagonal BiLSTM as one kernel, forward and backward
// (src/kernels/lstmScan.ts wraps it as tfjs kernels). The map is a set of positions (b, t, l): t is
// the step (a row for the Row LSTM, a skewed column for the Diagonal BiLSTM), l the place along the
// line that one step updates at once; position (b, t, l) is at index b·sB + t·sT + l·sL.
// At each step, for every (b, l):
//   gates = pre[b, t, l] + Σ_k h[b, t−1, l + off_k] · W_k       (h outside the line is 0; h at step −1 is h0)
//   i, f, o = σ(gates[0:h], [h:2h], [2h:3h]);  g = tanh(gates[3h:4h])
//   c = f·c[b, t−1, l] + i·g  (c at step −1 is c0);  h = o·tanh(c)
// W is [k·h, 4h], tap-major. Steps run backwards when `reverse`. The forward pass keeps, per position,
// (i, f, o, g, c, tanh c) in `tape` for the backward pass. Needs h % 4 == 0.

@inline function sigmoid(x: f32): f32 {
  return 1.0 / (1.0 + Mathf.exp(-x));
}

@inline function tanhf(x: f32): f32 {
  // 2σ(2x) − 1, written so that large |x| saturates to ±1 without overflow
  const e = Mathf.exp(-2.0 * Mathf.abs(x));
  const t: f32 = (<f32>1.0 - e) / (<f32>1.0 + e);
  return x < <f32>0 ? -t : t;
}

export function lstmScanForward(
  pre: usize, w: usize, h0: usize, c0: usize, states: usize, tape: usize, gates: usize,
  batch: i32, steps: i32, line: i32, sB: i32, sT: i32, sL: i32,
  offsets: usize, taps: i32, reverse: i32, hidden: i32,
): void {
  const g4 = 4 * hidden;
  const hBytes = (<usize>hidden) << 2;
  const gBytes = (<usize>g4) << 2;
  for (let n = 0; n < steps; n++) {
    const t = reverse ? steps - 1 - n : n;
    const tPrev = reverse ? t + 1 : t - 1;
    for (let b = 0; b < batch; b++) {
      for (let l = 0; l < line; l++) {
        const pos = b * sB + t * sT + l * sL;
        // gates ← pre
        memory.copy(gates, pre + (<usize>pos) * gBytes, gBytes);
        for (let k = 0; k < taps; k++) {
          const lp = l + load<i32>(offsets + ((<usize>k) << 2));
          if (lp < 0 || lp >= line) continue;
          const hp = n == 0 ? h0 : states + (<usize>(b * sB + tPrev * sT + lp * sL)) * hBytes;
          const wk = w + (<usize>(k * hidden)) * gBytes;
          for (let v = 0; v < g4; v += 16) {
            const vb = (<usize>v) << 2;
            let a0 = v128.load(gates + vb);
            let a1 = v128.load(gates + vb, 16);
            let a2 = v128.load(gates + vb, 32);
            let a3 = v128.load(gates + vb, 48);
            let wp = wk + vb;
            for (let i = 0; i < hidden; i++) {
              const s = v128.load32_splat(hp + ((<usize>i) << 2));
              a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wp)));
              a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wp, 16)));
              a2 = f32x4.add(a2, f32x4.mul(s, v128.load(wp, 32)));
              a3 = f32x4.add(a3, f32x4.mul(s, v128.load(wp, 48)));
              wp += gBytes;
            }
            v128.store(gates + vb, a0);
            v128.store(gates + vb, a1, 16);
            v128.store(gates + vb, a2, 32);
            v128.store(gates + vb, a3, 48);
          }
        }
        const cp = n == 0 ? c0 : tape + (<usize>(b * sB + tPrev * sT + l * sL)) * 6 * hBytes + 4 * hBytes;
        const tp = tape + (<usize>pos) * 6 * hBytes;
        const sp = states + (<usize>pos) * hBytes;
        for (let j = 0; j < hidden; j++) {
          const jb = (<usize>j) << 2;
          const ig = sigmoid(load<f32>(gates + jb));
          const fg = sigmoid(load<f32>(gates + hBytes + jb));
          const og = sigmoid(load<f32>(gates + 2 * hBytes + jb));
          const gg = tanhf(load<f32>(gates + 3 * hBytes + jb));
          const c = fg * load<f32>(cp + jb) + ig * gg;
          const tc = tanhf(c);
          store<f32>(tp + jb, ig);
          store<f32>(tp + hBytes + jb, fg);
          store<f32>(tp + 2 * hBytes + jb, og);
          store<f32>(tp + 3 * hBytes + jb, gg);
          store<f32>(tp + 4 * hBytes + jb, c);
          store<f32>(tp + 5 * hBytes + jb, tc);
          store<f32>(sp + jb, og * tc);
        }
      }
    }
  }
}

// Backward through the whole scan. dStates [positions, h] in; out: dPre [positions, 4h], dW [k·h, 4h],
// dh0 [h], dc0 [h]. wT is W transposed per tap: [4h, k·h]. Scratch: dhRec and dhRecNext [batch·line, h]
// (the gradient reaching h at step t from step t+1's state-to-state), dcCarry [batch·line, h].
export function lstmScanBackward(
  dStates: usize, tape: usize, states: usize, wT: usize, h0: usize, c0: usize,
  dPre: usize, dW: usize, dh0: usize, dc0: usize,
  dhRec: usize, dhRecNext: usize, dcCarry: usize,
  batch: i32, steps: i32, line: i32, sB: i32, sT: i32, sL: i32,
  offsets: usize, taps: i32, reverse: i32, hidden: i32,
): void {
  const g4 = 4 * hidden;
  const hBytes = (<usize>hidden) << 2;
  const gBytes = (<usize>g4) << 2;
  const kh = taps * hidden;
  const lanes = batch * line;
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
    // the cell, position by position: dPre, and the cell gradient carried to step t−1
    for (let b = 0; b < batch; b++) {
      for (let l = 0; l < line; l++) {
        const pos = b * sB + t * sT + l * sL;
        const lane = (<usize>(b * line + l)) * hBytes;
        const tp = tape + (<usize>pos) * 6 * hBytes;
        const cp = n == 0 ? c0 : tape + (<usize>(b * sB + tPrev * sT + l * sL)) * 6 * hBytes + 4 * hBytes;
        const dp = dPre + (<usize>pos) * gBytes;
        const ds = dStates + (<usize>pos) * hBytes;
        for (let j = 0; j < hidden; j++) {
          const jb = (<usize>j) << 2;
          const ig = load<f32>(tp + jb);
          const fg = load<f32>(tp + hBytes + jb);
          const og = load<f32>(tp + 2 * hBytes + jb);
          const gg = load<f32>(tp + 3 * hBytes + jb);
          const tc = load<f32>(tp + 5 * hBytes + jb);
          const dh = load<f32>(ds + jb) + load<f32>(cur + lane + jb);
          const dc = load<f32>(dcCarry + lane + jb) + dh * og * (1.0 - tc * tc);
          store<f32>(dcCarry + lane + jb, dc * fg);
          store<f32>(dp + jb, dc * gg * ig * (1.0 - ig));
          store<f32>(dp + hBytes + jb, dc * load<f32>(cp + jb) * fg * (1.0 - fg));
          store<f32>(dp + 2 * hBytes + jb, dh * tc * og * (1.0 - og));
          store<f32>(dp + 3 * hBytes + jb, dc * ig * (1.0 - gg * gg));
        }
      }
    }
    // the state-to-state product: dW += h_prev ⊗ dPre, and dPre · Wᵀ into the previous step's h
    memory.fill(next, 0, (<usize>lanes) * hBytes);
    for (let b = 0; b < batch; b++) {
      for (let l = 0; l < line; l++) {
        const dp = dPre + (<usize>(b * sB + t * sT + l * sL)) * gBytes;
        for (let k = 0; k < taps; k++) {
          const lp = l + load<i32>(offsets + ((<usize>k) << 2));
          if (lp < 0 || lp >= line) continue;
          const hp = n == 0 ? h0 : states + (<usize>(b * sB + tPrev * sT + lp * sL)) * hBytes;
          // dW rows k·h .. k·h + h − 1
          let dwp = dW + (<usize>(k * hidden)) * gBytes;
          for (let i = 0; i < hidden; i++) {
            const s = v128.load32_splat(hp + ((<usize>i) << 2));
            for (let v = 0; v < g4; v += 4) {
              const vb = (<usize>v) << 2;
              v128.store(dwp + vb, f32x4.add(v128.load(dwp + vb), f32x4.mul(s, v128.load(dp + vb))));
            }
            dwp += gBytes;
          }
          // next[b, lp] += Σ_j dPre[j] · W[k·h + :, j]  (wT row j, columns k·h .. k·h + h − 1)
          const np = next + (<usize>(b * line + lp)) * hBytes;
          for (let i = 0; i < hidden; i += 4) {
            let acc = v128.load(np + ((<usize>i) << 2));
            let wtp = wT + (<usize>(k * hidden + i) << 2);
            for (let j = 0; j < g4; j++) {
              acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(dp + ((<usize>j) << 2)), v128.load(wtp)));
              wtp += (<usize>kh) << 2;
            }
            v128.store(np + ((<usize>i) << 2), acc);
          }
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

/** First free byte after the module's own static data (exp tables and the like): arguments go from here. */
export function dataEnd(): usize {
  return __heap_base;
}

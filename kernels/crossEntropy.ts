// AssemblyScript, compiled to src/kernels/crossEntropy.wasm (and .relaxed.wasm) by `npm run build:kernels`.
//
// Softmax cross-entropy of N rows of K logits in one pass per row, no separate softmax kernel:
//   m = max z;  e_k = exp(z_k − m);  s = Σ e_k
//   shift[r] = m − z[r, x_r],  sum[r] = s           (−log softmax(z)[x_r] = shift + log sum: the caller
//                                                    takes the log of N values; a log here would bring
//                                                    AssemblyScript's table-driven log, static data)
//   grad[r]  = e / s − onehot(x_r)                    (the gradient of that with respect to z)
// z [N, K] row-major f32, target [N] i32 in 0..K−1. Needs K % 4 == 0.

// a·b + c: fused in the relaxed-SIMD build, a multiply and an add in the plain one (as causalConv.ts)
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

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
    const t = load<i32>(target + ((<usize>r) << 2));
    const tb = (<usize>t) << 2;
    store<f32>(gr + tb, load<f32>(gr + tb) - 1.0);
    store<f32>(shift + ((<usize>r) << 2), m - load<f32>(zr + tb));
    store<f32>(sum + ((<usize>r) << 2), <f32>s);
  }
}

// AssemblyScript helpers shared by the kernels (imported at compile time; a module's wasm exports
// are its own file's exports only, so nothing here is exported from a .wasm).

// a·b + c on four lanes: one fused multiply-add in the relaxed-SIMD build (`--enable relaxed-simd`:
// src/kernels/*.relaxed.wasm, x86 FMA), a multiply and an add in the plain-SIMD one. ASC_FEATURE_*
// is a compile-time constant, so each build holds only its own instruction.
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * One 2 × 16 tile of a weight gradient: rows d0 and d1 (16 floats each) += Σ over `count` pixels
 * of x[p, 0] · g[p, 0..16) and x[p, 1] · g[p, 0..16), x stepping `xStride` bytes a pixel and g
 * `gStride` — eight accumulators in registers, every g load used twice.
 */
@inline export function outerTile2x16(d0: usize, d1: usize, x: usize, xStride: usize, g: usize, gStride: usize, count: i32): void {
  let a0 = v128.load(d0);
  let a1 = v128.load(d0, 16);
  let a2 = v128.load(d0, 32);
  let a3 = v128.load(d0, 48);
  let b0 = v128.load(d1);
  let b1 = v128.load(d1, 16);
  let b2 = v128.load(d1, 32);
  let b3 = v128.load(d1, 48);
  let xp = x;
  let gp = g;
  for (let i = 0; i < count; i++) {
    const x0 = v128.load32_splat(xp);
    const x1 = v128.load32_splat(xp, 4);
    const g0 = v128.load(gp);
    const g1 = v128.load(gp, 16);
    const g2 = v128.load(gp, 32);
    const g3 = v128.load(gp, 48);
    a0 = madd(x0, g0, a0);
    a1 = madd(x0, g1, a1);
    a2 = madd(x0, g2, a2);
    a3 = madd(x0, g3, a3);
    b0 = madd(x1, g0, b0);
    b1 = madd(x1, g1, b1);
    b2 = madd(x1, g2, b2);
    b3 = madd(x1, g3, b3);
    xp += xStride;
    gp += gStride;
  }
  v128.store(d0, a0);
  v128.store(d0, a1, 16);
  v128.store(d0, a2, 32);
  v128.store(d0, a3, 48);
  v128.store(d1, b0);
  v128.store(d1, b1, 16);
  v128.store(d1, b2, 32);
  v128.store(d1, b3, 48);
}

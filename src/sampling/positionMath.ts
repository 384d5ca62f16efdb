// The per-position layer math that the cached samplers share (each family's sampler in
// src/models/<family>/cachedSampler.ts): reading weights, channel groups, and small matrix–vector
// products in plain JS. On wasm one tiny tensor op costs tens of µs, more than the arithmetic of a
// whole pixel layer, so the per-pixel work runs here and only the big, regular per-row parts go to
// the backend's matMul.

import type { NamedTensors } from '../tf.js';

/** A parameter's values as a fresh Float32Array, or an error naming it and the sampler. */
export const readParam = (params: NamedTensors, name: string, who: string): Float32Array => {
  const t = params[name];
  if (!t) throw new Error(`${who}: parameter '${name}' missing from the model`);
  return Float32Array.from(t.dataSync() as Float32Array);
};

/** Feature f of n belongs to group ⌊f·C/n⌋ (masks.ts): group g is features [start[g], start[g+1]). */
export const groupStarts = (n: number, C: number): Int32Array => Int32Array.from({ length: C + 1 }, (_, g) => Math.ceil((g * n) / C));

/** A weight matrix [rows, m] kept transposed, [m, rows] in Float64: a dot product reads both operands contiguously. */
export interface Mat {
  readonly t: Float64Array;
  readonly rows: number;
}

export const mat = (w: Float32Array, m: number): Mat => {
  const rows = w.length / m;
  const t = new Float64Array(w.length);
  for (let r = 0; r < rows; r++) for (let o = 0; o < m; o++) t[o * rows + r] = w[r * m + o]!;
  return { t, rows };
};

/** acc[a0 + o] += Σ_{k<n} x[x0 + k] · w[r0 + k, o] for o ∈ [o0, o1); four outputs per pass. */
export const gemvAdd = (acc: Float64Array, a0: number, x: Float64Array, x0: number, n: number, w: Mat, r0: number, o0: number, o1: number): void => {
  const t = w.t;
  const rows = w.rows;
  let o = o0;
  for (; o + 4 <= o1; o += 4) {
    const p0 = o * rows + r0;
    const p1 = p0 + rows;
    const p2 = p1 + rows;
    const p3 = p2 + rows;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0; // prettier-ignore
    for (let k = 0; k < n; k++) {
      const v = x[x0 + k]!;
      s0 += v * t[p0 + k]!;
      s1 += v * t[p1 + k]!;
      s2 += v * t[p2 + k]!;
      s3 += v * t[p3 + k]!;
    }
    acc[a0 + o]! += s0;
    acc[a0 + o + 1]! += s1;
    acc[a0 + o + 2]! += s2;
    acc[a0 + o + 3]! += s3;
  }
  for (; o < o1; o++) {
    const p0 = o * rows + r0;
    let s0 = 0;
    for (let k = 0; k < n; k++) s0 += x[x0 + k]! * t[p0 + k]!;
    acc[a0 + o]! += s0;
  }
};

/**
 * A vector × matrix product over the non-zero inputs only: gather (weight row, value) pairs from
 * one or more input segments, then add Σ value · w[row, o] into acc[o0..o1), 8 outputs at a time.
 */
export class SparseRow {
  private rows: Int32Array;
  private vals: Float64Array;
  private m = 0;
  constructor(maxRows: number) {
    this.rows = new Int32Array(maxRows);
    this.vals = new Float64Array(maxRows);
  }
  reset(): void {
    this.m = 0;
  }
  /** Inputs input[off .. off+n) meet weight rows row0 .. row0+n of a matrix with outF columns. */
  gather(input: Float32Array, off: number, n: number, row0: number, outF: number): void {
    let m = this.m;
    const rows = this.rows;
    const vals = this.vals;
    for (let k = 0; k < n; k++) {
      const a = input[off + k]!;
      if (a !== 0) {
        rows[m] = (row0 + k) * outF;
        vals[m] = a;
        m++;
      }
    }
    this.m = m;
  }
  addInto(acc: Float64Array, at: number, w: Float32Array, o0: number, o1: number): void {
    const m = this.m;
    const rows = this.rows;
    const vals = this.vals;
    let o = o0;
    for (; o + 8 <= o1; o += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0; // prettier-ignore
      for (let t = 0; t < m; t++) {
        const a = vals[t]!;
        const r = rows[t]! + o;
        s0 += a * w[r]!;
        s1 += a * w[r + 1]!;
        s2 += a * w[r + 2]!;
        s3 += a * w[r + 3]!;
        s4 += a * w[r + 4]!;
        s5 += a * w[r + 5]!;
        s6 += a * w[r + 6]!;
        s7 += a * w[r + 7]!;
      }
      const q = at + o;
      acc[q]! += s0;
      acc[q + 1]! += s1;
      acc[q + 2]! += s2;
      acc[q + 3]! += s3;
      acc[q + 4]! += s4;
      acc[q + 5]! += s5;
      acc[q + 6]! += s6;
      acc[q + 7]! += s7;
    }
    for (; o < o1; o++) {
      let s = 0;
      for (let t = 0; t < m; t++) s += vals[t]! * w[rows[t]! + o]!;
      acc[at + o]! += s;
    }
  }
}


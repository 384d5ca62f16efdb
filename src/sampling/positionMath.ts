// What the cached samplers share besides their memory (src/sampling/pixelMemory.ts, where the
// per-pixel products run for the whole batch): reading weights, channel groups, and a small Float64
// matrix–vector product in plain JS for work done once per sampler (the PixelRNN's padding states).

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
export const gemvAdd = (acc: Float64Array, a0: number, x: Float32Array | Float64Array, x0: number, n: number, w: Mat, r0: number, o0: number, o1: number): void => {
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

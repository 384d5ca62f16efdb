// Seeded pseudo-random numbers as pure functions of a 32-bit state (mulberry32), so that every
// random choice — weight init, shuffling, binarisation, sampling — is reproducible and its state
// can be written into a checkpoint and resumed exactly.

export type RngState = number;

/** One step: a uniform draw in [0, 1) and the next state. */
export const nextUniform = (state: RngState): readonly [number, RngState] => {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, next] as const;
};

/** Mix a seed and a stream label into an independent starting state. */
export const seedState = (seed: number, stream = 0): RngState => {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
};

/** A small mutable cursor over the pure generator, for loops; `state` can be saved and restored. */
export class Rng {
  constructor(public state: RngState) {}
  static fromSeed(seed: number, stream = 0): Rng {
    return new Rng(seedState(seed, stream));
  }
  uniform(): number {
    const [u, next] = nextUniform(this.state);
    this.state = next;
    return u;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = Math.max(this.uniform(), 1e-12);
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>, offset = 0, count = weights.length - offset): number {
    let total = 0;
    for (let k = 0; k < count; k++) total += weights[offset + k]!;
    let r = this.uniform() * total;
    for (let k = 0; k < count; k++) {
      r -= weights[offset + k]!;
      if (r < 0) return k;
    }
    return count - 1;
  }
}

/** Fisher–Yates permutation of 0..n-1, pure in the seed. */
export const permutation = (n: number, seed: number, stream = 0): Uint32Array => {
  const rng = Rng.fromSeed(seed, stream);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
};

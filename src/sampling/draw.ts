// Drawing one value from K logits, in JS from numbers read back, so that the same seed gives the same
// values on every backend.

import type { Rng } from '../rng.js';

export interface Draw {
  readonly value: number;
  /** Model probability of `value` at temperature 1. */
  readonly probability: number;
}

let scratch = new Float64Array(256);

/**
 * Draw a level from logits[offset .. offset+K) divided by `temperature` (0: the most likely level,
 * first on ties). Uses exactly one uniform from `rng` whatever the temperature, so that streams stay
 * aligned across temperatures.
 */
export const drawValue = (logits: ArrayLike<number>, offset: number, levels: number, temperature: number, rng: Rng): Draw => {
  if (scratch.length < levels) scratch = new Float64Array(levels);
  const e = scratch;
  let max = -Infinity;
  let arg = 0;
  for (let k = 0; k < levels; k++) {
    const v = logits[offset + k]!;
    if (v > max) {
      max = v;
      arg = k;
    }
  }
  let z1 = 0; // Σ exp(l − max): the temperature-1 normaliser
  for (let k = 0; k < levels; k++) z1 += e[k] = Math.exp(logits[offset + k]! - max);
  const probabilityOf = (k: number) => Math.exp(logits[offset + k]! - max) / z1;
  const u = rng.uniform();
  if (!(temperature > 0)) return { value: arg, probability: probabilityOf(arg) };
  let zt = z1;
  if (temperature !== 1) {
    zt = 0;
    for (let k = 0; k < levels; k++) zt += e[k] = Math.exp((logits[offset + k]! - max) / temperature);
  }
  let r = u * zt;
  for (let k = 0; k < levels; k++) {
    r -= e[k]!;
    if (r < 0) return { value: k, probability: probabilityOf(k) };
  }
  return { value: levels - 1, probability: probabilityOf(levels - 1) };
};

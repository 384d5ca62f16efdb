// Drawing one value from K logits, in JS from numbers read back, so that the same seed gives the same
// values on every backend.

import type { Rng } from '../rng.js';

export interface Draw {
  readonly value: number;
  /** Model probability of `value` at temperature 1. */
  readonly probability: number;
}

/**
 * Draw a level from logits[offset .. offset+K) divided by `temperature` (0: the most likely level,
 * first on ties). Uses exactly one uniform from `rng` whatever the temperature, so that streams stay
 * aligned across temperatures.
 */
export const drawValue = (logits: ArrayLike<number>, offset: number, levels: number, temperature: number, rng: Rng): Draw => {
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
  for (let k = 0; k < levels; k++) z1 += Math.exp(logits[offset + k]! - max);
  const u = rng.uniform();
  let value = arg;
  if (temperature > 0) {
    let zt = 0;
    for (let k = 0; k < levels; k++) zt += Math.exp((logits[offset + k]! - max) / temperature);
    let r = u * zt;
    value = levels - 1;
    for (let k = 0; k < levels; k++) {
      r -= Math.exp((logits[offset + k]! - max) / temperature);
      if (r < 0) {
        value = k;
        break;
      }
    }
  }
  return { value, probability: Math.exp(logits[offset + value]! - max) / z1 };
};

// Weight averaging (Polyak averaging as an exponential moving average, as openai/pixel-cnn does
// with decay 0.9995): after every update,
//
//   avg ← d_t · avg + (1 − d_t) · θ        avg starts as the initial weights θ₀
//
// with d_t = decay, or, with `warmup` (the default), d_t = min(decay, (1 + t) / (10 + t)) where t is
// the 1-based index of the update — TensorFlow's ExponentialMovingAverage with num_updates — so that
// a short run's average is not dominated by θ₀ (after 100 steps at decay 0.9995 a plain average
// would still hold 95% of θ₀; the warm-up one none of it). The average is an optimizer slot
// (`ema/<param>`): it is updated in the same pass as the parameters (flatUpdate.ts), checkpointed
// and resumed exactly like the moments, and it is what evaluation, sampling and export use.

import * as t from 'io-ts';
import { tf, type NamedTensors } from '../tf.js';

export const EmaConfigCodec = t.type({ decay: t.number, warmup: t.boolean });
export type EmaConfig = t.TypeOf<typeof EmaConfigCodec>;

/** openai/pixel-cnn's Polyak decay. */
export const PAPER_EMA_DECAY = 0.9995;

export const EMA_PREFIX = 'ema/';

/** The slot that holds the average of parameter `name`. */
export const emaSlot = (name: string): string => EMA_PREFIX + name;

export const emaErrors = (e: EmaConfig, where = 'ema'): string[] =>
  e.decay > 0 && e.decay < 1 ? [] : [`${where}.decay: expected a number in (0, 1), found ${e.decay}`];

/** d_t for the update with 1-based index `step`. */
export const emaDecayAt = (e: EmaConfig, step: number): number => (e.warmup ? Math.min(e.decay, (1 + step) / (10 + step)) : e.decay);

/** The averaged weights of a set of slots, by parameter name (the same tensors, no copies), or undefined when there is no average. */
export const averageOf = (params: NamedTensors, slots: NamedTensors): NamedTensors | undefined => {
  const names = Object.keys(params);
  if (names.length === 0 || !names.every((n) => slots[emaSlot(n)])) return undefined;
  return Object.fromEntries(names.map((n) => [n, slots[emaSlot(n)]!]));
};

/** One average update on tensors: d·avg + (1 − d)·θ. New tensor. */
export const emaUpdate = (avg: tf.Tensor, param: tf.Tensor, decay: number): tf.Tensor =>
  tf.tidy(() => tf.add(tf.mul(avg, decay), tf.mul(param, 1 - decay)));
